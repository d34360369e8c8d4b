import type { ReactNode } from 'react';
import { Link } from 'react-router';

export function NotFoundPage({ home = '/' }: { home?: string }): ReactNode {
  return (
    <section className="card narrow">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <Link to={home}>Go to the start page</Link>
    </section>
  );
}
