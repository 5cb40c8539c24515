// Draws a catalog service's logo (brand SVG, hand-made file, or a monogram for unknown services).
import { clsx } from 'clsx';
import { getService } from '~/credentials/catalog';

export interface ServiceLogoProps {
  /** Service id from the catalog; unknown ids fall back to a monogram of `name`. */
  service: string;
  /** Used only for the monogram fallback; the caller names the service in visible text or a label. */
  name?: string;
  /** Pixel size of the square. */
  size?: number;
  className?: string;
}

function monogram(text: string): string {
  const words = text.trim().split(/[\s._-]+/).filter(Boolean);
  const letters = words.length > 1 ? `${words[0]![0]}${words[1]![0]}` : (words[0] ?? '?').slice(0, 2);
  return letters.toUpperCase();
}

export function ServiceLogo({ service, name, size = 24, className }: ServiceLogoProps) {
  const entry = getService(service);
  const common = { width: size, height: size, 'aria-hidden': true as const, className: clsx('shrink-0', className) };

  if (entry?.logo.source === 'simple-icons') {
    return (
      <svg {...common} viewBox="0 0 24 24" fill={`#${entry.logo.hex}`} focusable="false">
        <path d={entry.logo.path} />
      </svg>
    );
  }
  if (entry?.logo.source === 'file') {
    return <img {...common} src={entry.logo.src} alt="" loading="lazy" decoding="async" />;
  }
  return (
    <svg {...common} viewBox="0 0 24 24" focusable="false">
      <rect width="24" height="24" rx="5" className="fill-slate-200" />
      <text
        x="12"
        y="12"
        dy=".35em"
        textAnchor="middle"
        fontSize="10"
        fontWeight="600"
        className="fill-slate-600"
        fontFamily="ui-sans-serif, system-ui, sans-serif"
      >
        {monogram(name ?? service)}
      </text>
    </svg>
  );
}
