"use client";

import { Icon } from "@nchat/ui/icon";
import type { ReactNode } from "react";
import { formatBytes } from "@/lib/format";
import type { Attachment, Message } from "./data";
import { ImageThumbnail } from "./image-viewer";
import { looksLikeImage } from "./upload";

const fileIcon = (name: string): ReactNode => (
  <Icon name={looksLikeImage(name) ? "file" : "file"} size={20} />
);

/** A file linked from a message body: `[name (size)](/api/attachments/<id>)`. */
export function AttachmentLinkCard({ id, text }: { id: string; text: string }) {
  const m = /^(.*) \(([\d.]+ [KMGT]?B)\)$/.exec(text);
  const name = m?.[1] ?? text;
  const size = m?.[2] ?? "";
  return <FileCard href={`/api/attachments/${id}`} name={name} size={size} />;
}

/** A file of the message: an image shows a thumbnail that opens the image viewer. */
export function AttachmentCard({ attachment, message }: { attachment: Attachment; message: Message }) {
  const image = attachment.contentType.startsWith("image/");
  return (
    <FileCard
      href={`/api/attachments/${attachment.id}`}
      name={attachment.fileName}
      size={formatBytes(attachment.sizeBytes)}
      image={image}
      thumbnail={
        image ? (
          <ImageThumbnail image={{ ...attachment, messageId: message.id }} channelId={message.channelId} />
        ) : null
      }
    />
  );
}

function FileCard({
  href,
  name,
  size,
  image,
  thumbnail,
}: {
  href: string;
  name: string;
  size: string;
  image?: boolean;
  /** Shown above the card instead of the image link (the image viewer's thumbnail). */
  thumbnail?: ReactNode;
}) {
  const isImage = image ?? looksLikeImage(name);
  return (
    <span className="file-card-wrap">
      {thumbnail ? (
        thumbnail
      ) : isImage ? (
        <a href={href} target="_blank" rel="noopener noreferrer" className="file-image">
          {/* biome-ignore lint/performance/noImgElement: user files served by the API */}
          <img src={href} alt={name} loading="lazy" />
        </a>
      ) : null}
      <a href={href} className="file-card" download={isImage ? undefined : name} data-testid="file-card">
        <span className="file-icon">{fileIcon(name)}</span>
        <span className="file-meta">
          <span className="file-name" title={name}>
            {name}
          </span>
          {size ? <span className="file-size">{size}</span> : null}
        </span>
        <Icon name="download" size={16} />
      </a>
    </span>
  );
}
