import { TRPCClientError } from "@trpc/client";

/** The API's error shape (packages/api trpc.ts errorFormatter): a stable `appCode` and field issues. */
export type AppErrorInfo = {
  message: string;
  appCode: string;
  httpStatus: number;
  fields: { path: string; message: string }[];
};

type ErrorData = {
  appCode?: string;
  httpStatus?: number;
  fields?: { path: string; message: string }[];
  details?: { fields?: { path: string; message: string }[] };
};

export function appErrorOf(error: unknown): AppErrorInfo {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as ErrorData;
    return {
      message: error.message || "Something went wrong.",
      appCode: data.appCode ?? "INTERNAL",
      httpStatus: data.httpStatus ?? 500,
      fields: [...(data.fields ?? []), ...(data.details?.fields ?? [])],
    };
  }
  return {
    message: error instanceof Error ? error.message : "Something went wrong.",
    appCode: "INTERNAL",
    httpStatus: 500,
    fields: [],
  };
}

export const isUnauthorized = (error: unknown) => appErrorOf(error).appCode === "UNAUTHORIZED";

/** The message for one field (by path or path prefix), if the server reported one. */
export function fieldError(info: AppErrorInfo | null, path: string): string | undefined {
  return info?.fields.find((f) => f.path === path || f.path.startsWith(`${path}.`))?.message;
}
