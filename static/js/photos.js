// Photos are resized on the phone (long edge ~1600 px, JPEG) before they are stored.
async function decode(file) {
  if ('createImageBitmap' in window) {
    try { return await createImageBitmap(file, { imageOrientation: 'from-image' }); } catch (err) { /* fall back */ }
  }
  const img = new Image();
  const url = URL.createObjectURL(file);
  try { img.src = url; await img.decode(); return img; } finally { URL.revokeObjectURL(url); }
}

export async function resizePhoto(file, longEdge = 1600, quality = 0.85) {
  const image = await decode(file);
  const width = image.naturalWidth || image.width;
  const height = image.naturalHeight || image.height;
  const scale = Math.min(1, longEdge / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const canvas = Object.assign(document.createElement('canvas'), { width: w, height: h });
  canvas.getContext('2d').drawImage(image, 0, 0, w, h);
  image.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
  if (!blob) throw new Error('encode failed');
  return blob;
}
