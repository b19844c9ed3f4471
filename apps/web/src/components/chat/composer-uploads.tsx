"use client";

import { appErrorOf, errorMessage } from "@nchat/ui/errors";
import { Icon } from "@nchat/ui/icon";
import { useQueryClient } from "@tanstack/react-query";
import { type RefObject, useEffect, useRef, useState } from "react";
import { formatBytes } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useTenantFeature, useTenantLimits } from "../tenant";
import { type UploadedFile, uploadFile } from "./upload";

export type Upload = {
  key: string;
  file: File;
  progress: number;
  status: "uploading" | "done" | "error";
  error?: string;
  errorCode?: string;
  result?: UploadedFile;
  abort?: () => void;
};

/**
 * The composer's files: picked, pasted or dropped on `root`, each uploaded at once with progress
 * (and cancelled when removed); one larger than the plan allows is refused before it is sent.
 * The plan's limits and the uploads feature are asked for when files are first picked, not with
 * every composer.
 */
export function useComposerUploads(channelId: string, root: RefObject<HTMLDivElement | null>) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [filesWanted, setFilesWanted] = useState(false);
  const limits = useTenantLimits({ enabled: filesWanted });
  const uploadsFeature = useTenantFeature("fileUploads", { enabled: filesWanted });
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);

  // Files dropped on the composer are uploaded like picked ones.
  const addFilesRef = useRef<(files: File[]) => Promise<void>>(async () => {});
  useEffect(() => {
    const el = root.current;
    if (!el) return;
    const over = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes("Files")) {
        e.preventDefault();
        setDragging(true);
      }
    };
    const leave = () => setDragging(false);
    const drop = (e: DragEvent) => {
      if (e.dataTransfer?.files.length) {
        e.preventDefault();
        setDragging(false);
        void addFilesRef.current(Array.from(e.dataTransfer.files));
      }
    };
    el.addEventListener("dragover", over);
    el.addEventListener("dragleave", leave);
    el.addEventListener("drop", drop);
    return () => {
      el.removeEventListener("dragover", over);
      el.removeEventListener("dragleave", leave);
      el.removeEventListener("drop", drop);
    };
  });

  async function addFiles(files: FileList | File[]) {
    setFilesWanted(true);
    const max =
      limits.data?.maxUploadBytes ??
      (await qc.fetchQuery({ ...trpc.ui.limits.queryOptions(), staleTime: 15_000 }).catch(() => null))
        ?.maxUploadBytes ??
      null;
    for (const file of Array.from(files)) {
      const key = `${file.name}-${file.size}-${Math.random().toString(36).slice(2)}`;
      if (max !== null && file.size > max) {
        setUploads((u) => [
          ...u,
          {
            key,
            file,
            progress: 0,
            status: "error",
            error: `Larger than ${formatBytes(max)}, the most your plan allows per file.`,
            errorCode: "LIMIT_EXCEEDED",
          },
        ]);
        continue;
      }
      const { promise, abort } = uploadFile(channelId, file, (progress) =>
        setUploads((u) => u.map((x) => (x.key === key ? { ...x, progress } : x))),
      );
      setUploads((u) => [...u, { key, file, progress: 0, status: "uploading", abort }]);
      promise.then(
        (result) => {
          setUploads((u) =>
            u.map((x) => (x.key === key ? { ...x, status: "done", progress: 1, result } : x)),
          );
          void qc.invalidateQueries({ queryKey: limits.queryKey });
        },
        (err) => {
          const info = appErrorOf(err);
          if (info?.appCode === "ABORTED") {
            setUploads((u) => u.filter((x) => x.key !== key));
            return;
          }
          setUploads((u) =>
            u.map((x) =>
              x.key === key
                ? { ...x, status: "error", error: errorMessage(err), errorCode: info?.appCode }
                : x,
            ),
          );
        },
      );
    }
  }

  addFilesRef.current = addFiles;

  const removeUpload = (key: string) =>
    setUploads((u) => {
      u.find((x) => x.key === key)?.abort?.();
      return u.filter((x) => x.key !== key);
    });

  return { uploads, setUploads, addFiles, removeUpload, dragging, uploadsFeature };
}

/** The files of the message being written: progress, why one was refused, and Remove. */
export function UploadList({ uploads, onRemove }: { uploads: Upload[]; onRemove: (key: string) => void }) {
  return (
    <ul className="upload-list" aria-label="Attachments">
      {uploads.map((u) => (
        <li key={u.key} className={`upload upload-${u.status}`} data-testid="upload">
          <Icon name="file" size={18} />
          <span className="upload-main">
            <span className="upload-name">{u.file.name}</span>
            {u.status === "uploading" ? (
              <span
                className="upload-progress"
                role="progressbar"
                aria-label={`Uploading ${u.file.name}`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(u.progress * 100)}
              >
                <span style={{ width: `${Math.round(u.progress * 100)}%` }} />
              </span>
            ) : u.status === "error" ? (
              <span className="upload-error" role="alert">
                {u.error}
              </span>
            ) : (
              <span className="muted small">{formatBytes(u.file.size)} · ready to send</span>
            )}
          </span>
          {u.status === "uploading" ? (
            <span className="muted small">{Math.round(u.progress * 100)}%</span>
          ) : null}
          <button
            type="button"
            className="icon-btn"
            aria-label={`Remove ${u.file.name}`}
            onClick={() => onRemove(u.key)}
          >
            <Icon name="x" size={14} />
          </button>
        </li>
      ))}
    </ul>
  );
}
