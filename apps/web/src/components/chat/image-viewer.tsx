"use client";

import { Dialog } from "@nchat/ui/dialog";
import { Icon } from "@nchat/ui/icon";
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import { formatBytes } from "@/lib/format";
import { type Attachment, type Message, type MessagesData, messagesPrefix, type ThreadData } from "./data";

/*
 * The image viewer: a thumbnail opens the full image in a dialog (Radix: Escape and Close close it,
 * focus returns to the thumbnail), with the previous / next image of the conversation (buttons or
 * the arrow keys) and a download link.
 */

export type ViewerImage = Attachment & { messageId: number };

const isImage = (a: Attachment) => a.contentType.startsWith("image/");
const fileUrl = (id: string) => `/api/attachments/${id}`;

/** The images of a conversation loaded on this page (its message lists and threads), oldest first. */
function conversationImages(
  qc: ReturnType<typeof useQueryClient>,
  channelId: string,
  current: ViewerImage,
): ViewerImage[] {
  const byId = new Map<string, ViewerImage>();
  const lists = [
    ...qc.getQueriesData<MessagesData>({ queryKey: messagesPrefix(channelId) }).map(([, d]) => d),
    ...qc
      .getQueriesData<ThreadData>({ queryKey: ["chat", "thread"] })
      .map(([, d]) => d)
      .filter((d) => d?.pages[0]?.parent.channelId === channelId),
  ];
  for (const data of lists)
    for (const page of data?.pages ?? [])
      for (const m of [...("parent" in page ? [page.parent as Message] : []), ...page.messages])
        if (!m.deletedAt)
          for (const a of m.attachments) if (isImage(a)) byId.set(a.id, { ...a, messageId: m.id });
  byId.set(current.id, current);
  return [...byId.values()].sort((a, b) => a.messageId - b.messageId);
}

/** An image attachment's thumbnail: a button that opens the viewer. */
export function ImageThumbnail({ image, channelId }: { image: ViewerImage; channelId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className="file-image"
        onClick={() => setOpen(true)}
        aria-label={`View ${image.fileName}`}
        data-testid="image-thumbnail"
      >
        {/* biome-ignore lint/performance/noImgElement: user files served by the API */}
        <img src={fileUrl(image.id)} alt={image.fileName} loading="lazy" />
      </button>
      {open ? <ImageViewer start={image} channelId={channelId} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

export function ImageViewer({
  start,
  channelId,
  onClose,
}: {
  start: ViewerImage;
  channelId: string;
  onClose: () => void;
}) {
  const qc = useQueryClient();
  const images = useMemo(() => conversationImages(qc, channelId, start), [qc, channelId, start]);
  const [index, setIndex] = useState(() =>
    Math.max(
      0,
      images.findIndex((i) => i.id === start.id),
    ),
  );
  const image = images[index] ?? start;
  const go = useCallback(
    (step: number) => setIndex((i) => Math.min(images.length - 1, Math.max(0, i + step))),
    [images.length],
  );
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "ArrowLeft") go(-1);
      else if (e.key === "ArrowRight") go(1);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [go]);
  return (
    <Dialog
      open
      onClose={onClose}
      title={image.fileName}
      size="lg"
      footer={
        <div className="image-viewer-bar">
          <button
            type="button"
            className="btn btn-ghost btn-sm"
            onClick={() => go(-1)}
            disabled={index === 0}
            aria-label="Previous image"
          >
            <Icon name="chevron-left" size={16} /> Previous
          </button>
          <span className="muted small" data-testid="image-viewer-position">
            {index + 1} of {images.length} · {formatBytes(image.sizeBytes)}
          </span>
          <a className="btn btn-secondary btn-sm" href={fileUrl(image.id)} download={image.fileName}>
            <Icon name="download" size={15} /> Download
          </a>
          <button
            type="button"
            className="btn btn-ghost btn-sm"
            onClick={() => go(1)}
            disabled={index >= images.length - 1}
            aria-label="Next image"
          >
            Next <Icon name="chevron-right" size={16} />
          </button>
        </div>
      }
    >
      <div className="image-viewer" data-testid="image-viewer">
        {/* biome-ignore lint/performance/noImgElement: user files served by the API */}
        <img src={fileUrl(image.id)} alt={image.fileName} />
      </div>
    </Dialog>
  );
}
