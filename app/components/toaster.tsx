// Shows the flash toast from the root loader with sonner.
import { useEffect } from 'react';
import { Toaster, toast as showToast } from 'sonner';

export interface FlashToast {
  type: 'success' | 'error' | 'info';
  title: string;
  description?: string;
}

export function FlashToaster({ toast }: { toast: FlashToast | null }) {
  useEffect(() => {
    if (!toast) return;
    const id = setTimeout(() => showToast[toast.type](toast.title, { description: toast.description }), 0);
    return () => clearTimeout(id);
  }, [toast]);
  // Sonner's rich-colour text is a shade too light on its tinted backgrounds (4.25:1); darker keeps 4.5:1.
  const contrast = { '--success-text': 'hsl(140, 100%, 22%)', '--info-text': 'hsl(210, 92%, 38%)', '--error-text': 'hsl(360, 100%, 38%)' };
  // Bottom right: a toast never covers the page header's actions (Delete, Reconnect), and a pointer resting on one pauses it.
  return <Toaster position="bottom-right" richColors closeButton style={contrast as React.CSSProperties} />;
}
