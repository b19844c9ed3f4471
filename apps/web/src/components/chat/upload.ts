"use client";

import { RestError } from "@nchat/ui/errors";

export type UploadedFile = {
  id: string;
  channelId: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
};

/**
 * Uploads one file to `POST /api/attachments?channelId=` with XMLHttpRequest (fetch cannot report
 * upload progress): the raw bytes as the body, the name in X-File-Name. Rejects with a RestError
 * carrying the API's code (LIMIT_EXCEEDED for size or storage, FEATURE_NOT_IN_PLAN, …).
 */
export function uploadFile(
  channelId: string,
  file: File,
  onProgress: (fraction: number) => void,
): { promise: Promise<UploadedFile>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<UploadedFile>((resolve, reject) => {
    xhr.open("POST", `/api/attachments?channelId=${encodeURIComponent(channelId)}`);
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
    xhr.responseType = "text";
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(Math.min(1, e.loaded / e.total));
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText || "null");
      } catch {
        // not JSON
      }
      if (xhr.status === 201 || xhr.status === 200) {
        onProgress(1);
        resolve(body as UploadedFile);
      } else reject(RestError.fromBody(xhr.status, (body ?? {}) as Parameters<typeof RestError.fromBody>[1]));
    };
    xhr.onerror = () =>
      reject(
        RestError.fromBody(0, {
          error: { code: "NETWORK", message: "The upload failed. Check your connection and try again." },
        }),
      );
    xhr.onabort = () =>
      reject(RestError.fromBody(0, { error: { code: "ABORTED", message: "Upload cancelled." } }));
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}

const IMAGE = /\.(png|jpe?g|gif|webp|avif)$/i;
export const looksLikeImage = (name: string) => IMAGE.test(name);
