// ServiceLogo renders brand paths, file logos and a monogram fallback, always hidden from screen readers.
import { renderToStaticMarkup } from 'react-dom/server';
import { siGithub } from 'simple-icons';
import { describe, expect, it } from 'vitest';
import { ServiceLogo } from './ServiceLogo';

describe('ServiceLogo', () => {
  it('draws a simple-icons brand inline in its colour', () => {
    const html = renderToStaticMarkup(<ServiceLogo service="github" size={32} />);
    expect(html).toContain(`fill="#${siGithub.hex}"`);
    expect(html).toContain(`d="${siGithub.path}"`);
    expect(html).toContain('width="32"');
    expect(html).toContain('aria-hidden="true"');
  });

  it('uses the hand-made file for brands simple-icons does not carry', () => {
    const html = renderToStaticMarkup(<ServiceLogo service="aws" />);
    expect(html).toMatch(/<img[^>]+src="\/logos\/aws.svg"/);
    expect(html).toContain('alt=""');
    expect(html).toContain('aria-hidden="true"');
  });

  it('falls back to a monogram for an unknown service', () => {
    const html = renderToStaticMarkup(<ServiceLogo service="acme-corp" name="Acme Corp" />);
    expect(html).toContain('>AC</text>');
    expect(html).toContain('aria-hidden="true"');
  });
});
