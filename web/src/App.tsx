import type { ReactNode } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { HelpCenterApp } from './help-center/HelpCenterApp.js';
import { AdminApp } from './admin/AdminApp.js';

/** One app: the admin console under /admin, the help center everywhere else. */
export function App(): ReactNode {
  return (
    <BrowserRouter>
      <Routes>
        <Route path="/admin/*" element={<AdminApp />} />
        <Route path="/*" element={<HelpCenterApp />} />
      </Routes>
    </BrowserRouter>
  );
}
