// Owns making photos small enough to travel with a visit over a weak signal: each is redrawn as
// a JPEG whose longest side is at most 1600 px (the camera's orientation applied). A file the
// browser cannot decode is kept as it is: the server checks every photo's type and size.

export const MAX_SIDE = 1600;
const QUALITY = 0.85;

async function shrink(file, index) {
  const name = `photo-${index + 1}.jpg`;
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("not encoded"))), "image/jpeg", QUALITY));
    return { name, type: "image/jpeg", blob };
  } catch (error) {
    return { name: file.name || name, type: file.type, blob: file };
  }
}

/** The chosen files, each made small: [{name, type, blob}]. */
export async function shrinkPhotos(files) {
  const photos = [];
  for (const [index, file] of [...files].entries()) photos.push(await shrink(file, index));
  return photos;
}
