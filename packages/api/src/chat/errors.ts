import { AppError } from "../errors";

/** The answers of the chat service, one wording each. */
export const channelNotFound = () => new AppError("NOT_FOUND", "No such channel.");
export const messageNotFound = () => new AppError("NOT_FOUND", "No such message.");
export const memberNotFound = () => new AppError("NOT_FOUND", "No such member in this workspace.");
export const unauthorized = () => new AppError("UNAUTHORIZED", "Sign in to continue.");
export const forbidden = (message = "You do not have permission to do this.") =>
  new AppError("FORBIDDEN", message);
export const nameTaken = (name: string) =>
  new AppError("CONFLICT", `A channel named "${name}" already exists.`, { name });
export const archivedChannel = () =>
  forbidden("This channel is archived: it is read-only. Unarchive it first.");
