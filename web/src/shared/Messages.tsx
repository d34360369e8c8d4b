import type { ReactNode } from 'react';
import type { TicketMessage } from '../api.js';
import { formatDateTime } from './format.js';

/**
 * A ticket's conversation. Bodies are plain text, rendered as React text nodes (escaped,
 * line breaks kept by CSS): never as HTML.
 */
export function Messages({ messages, viewer }: { messages: TicketMessage[]; viewer: 'contact' | 'staff' }): ReactNode {
  if (!messages.length) return <p className="empty">No messages yet</p>;
  return (
    <ol className="messages" aria-label="Messages">
      {messages.map((m) => {
        const mine = m.author.type === viewer;
        const who = m.author.name ?? (m.author.type === 'system' ? 'Portico' : m.author.type === 'staff' ? 'Support' : 'Customer');
        return (
          <li key={m.id} className={`message ${mine ? 'mine' : 'theirs'} author-${m.author.type}`}>
            <div className="message-meta">
              <strong>{who}</strong> <time dateTime={m.createdAt}>{formatDateTime(m.createdAt)}</time>
            </div>
            <div className="message-body">{m.body}</div>
          </li>
        );
      })}
    </ol>
  );
}
