export * from "./plans";
export * from "./stripe";
export * from "./subscription";
