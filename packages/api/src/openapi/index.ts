export { openApiDocument, PUBLIC_API_BASE, PUBLIC_API_VERSION } from "./document";
export { publicApiHandler } from "./handler";
export { renderReference } from "./reference";
