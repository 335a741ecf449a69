// A redemption code as a QR code the till can scan (the code's text stays beside it).
import { useEffect, useState } from 'react';
import QRCode from 'qrcode';

export function Qr({ value, label }: { value: string; label: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void QRCode.toDataURL(value, { margin: 1, width: 192, errorCorrectionLevel: 'M' }).then((url) => live && setSrc(url));
    return () => {
      live = false;
    };
  }, [value]);
  return src ? <img className="qr" src={src} width={192} height={192} alt={label} /> : null;
}
