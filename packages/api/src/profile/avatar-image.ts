import { AVATAR_MAX_BYTES, AVATAR_SIZES, AVATAR_TYPES } from "@nchat/protocol/profile";
import sharp from "sharp";
import { sniff } from "../attachments/sniff";
import { AppError } from "../errors";

/** The stored sizes of an avatar, by name. */
export type AvatarSize = keyof typeof AVATAR_SIZES;

/** Both stored images of an avatar (WebP, square, no metadata). */
export type AvatarImages = Record<AvatarSize, Buffer>;

export const AVATAR_CONTENT_TYPE = "image/webp";

/** Decoding stops beyond this many pixels (a small file can claim a huge canvas). */
const MAX_INPUT_PIXELS = 40_000_000;

/** An upload that is bigger than an avatar may be (before resizing). */
export const avatarTooLarge = () =>
  new AppError("LIMIT_EXCEEDED", `A profile picture can be at most ${AVATAR_MAX_BYTES / 1024 / 1024} MB.`, {
    resource: "avatar_size",
    maxBytes: AVATAR_MAX_BYTES,
  });

/** An upload that is not a PNG, JPEG, WebP or GIF image (by its bytes, whatever it claims). */
export const notAnImage = (detected: string | null) =>
  new AppError("VALIDATION_FAILED", "Choose a PNG, JPEG, WebP or GIF image.", {
    reason: "not_an_image",
    accepted: [...AVATAR_TYPES],
    detected,
  });

const isAvatarType = (t: string | null): boolean => (AVATAR_TYPES as readonly string[]).includes(t ?? "");

/**
 * An uploaded picture as the two stored avatars: turned upright from its EXIF orientation, cropped
 * to a centred square and resized to 256 and 64 px, re-encoded as WebP. Re-encoding keeps pixels
 * only: EXIF (camera, GPS position), ICC and XMP metadata are dropped, and so is anything hidden
 * after the image data. Animated images keep their first frame.
 */
export async function avatarImages(bytes: Buffer): Promise<AvatarImages> {
  if (bytes.length > AVATAR_MAX_BYTES) throw avatarTooLarge();
  const type = sniff(bytes);
  if (!isAvatarType(type)) throw notAnImage(type);
  const open = () => sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, pages: 1, failOn: "error" });
  // Each size from the original: JPEG and WebP decoders shrink while decoding, so a 12-megapixel
  // photo is never held in memory at full size.
  const square = (px: number) =>
    open()
      .rotate()
      .resize(px, px, { fit: "cover", position: "centre" })
      .webp({ quality: 85, effort: 4 })
      .toBuffer();
  try {
    const [full, thumb] = await Promise.all([square(AVATAR_SIZES.full), square(AVATAR_SIZES.thumb)]);
    return { full, thumb };
  } catch {
    throw new AppError("VALIDATION_FAILED", "This image could not be read. Try another file.", {
      reason: "unreadable_image",
    });
  }
}
