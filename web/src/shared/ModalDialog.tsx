import { useLayoutEffect, useRef, type CSSProperties, type ReactNode } from 'react';

const FIELDS = 'input:not([type="hidden"]):not([disabled]), select:not([disabled]), textarea:not([disabled])';

/**
 * A modal dialog on the native <dialog> element, opened with showModal(): the page behind is
 * inert (Tab and screen readers stay in the dialog), Escape calls `onCancel`, the first field
 * (else the first button) has the focus on open, and the focus goes back to what had it when
 * the dialog goes away. A dialog opened from inside another stacks over it. `labelledBy` is the
 * id of its title; `describedBy`, the id (or space-separated ids) of what explains it, which a
 * screen reader reads after the title when the dialog opens.
 */
export function ModalDialog({
  labelledBy,
  describedBy,
  onCancel,
  className = 'card dialog',
  style,
  children,
}: {
  labelledBy: string;
  describedBy?: string;
  onCancel(): void;
  className?: string;
  style?: CSSProperties;
  children: ReactNode;
}): ReactNode {
  const ref = useRef<HTMLDialogElement>(null);
  const cancel = useRef(onCancel);
  cancel.current = onCancel;

  useLayoutEffect(() => {
    const d = ref.current;
    if (!d) return;
    const active = document.activeElement;
    const opener = active instanceof HTMLElement && active !== document.body ? active : null;
    // Over another dialog (a step-up asked for by an action dialog): focus goes back into it.
    const under = d.parentElement?.closest('dialog') ?? null;
    let closing = false;
    if (!d.open) d.showModal();
    (d.querySelector<HTMLElement>(FIELDS) ?? d.querySelector<HTMLElement>('button:not([disabled])'))?.focus();
    // Escape: the caller decides (it unmounts the dialog). Chrome may close without a cancelable
    // 'cancel' (a second Escape without user activation): 'close' then says the same.
    const onCancelEvent = (e: Event) => {
      e.preventDefault();
      cancel.current();
    };
    const onClose = () => {
      if (closing) return;
      cancel.current();
      // A caller that keeps the dialog (busy) gets it back open.
      setTimeout(() => {
        if (!closing && d.isConnected && !d.open) d.showModal();
      }, 0);
    };
    d.addEventListener('cancel', onCancelEvent);
    d.addEventListener('close', onClose);
    return () => {
      closing = true;
      d.removeEventListener('cancel', onCancelEvent);
      d.removeEventListener('close', onClose);
      if (d.open) d.close();
      const restore = () => {
        if (opener?.isConnected) opener.focus();
        if (opener && document.activeElement === opener) return;
        if (under?.isConnected) (under.querySelector<HTMLElement>(FIELDS) ?? under).focus();
      };
      restore();
      // An opener still disabled (the action that asked for a step-up is finishing) takes the
      // focus once it is enabled again.
      if (!document.activeElement || document.activeElement === document.body || document.activeElement === under) {
        setTimeout(() => {
          if (!document.activeElement || document.activeElement === document.body || document.activeElement === under) restore();
        }, 50);
      }
    };
  }, []);

  return (
    <dialog ref={ref} aria-labelledby={labelledBy} aria-describedby={describedBy || undefined} className={className} style={style}>
      {children}
    </dialog>
  );
}
