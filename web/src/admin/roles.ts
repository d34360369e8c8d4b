import type { StaffRole } from '../api.js';

export const ROLES: Record<StaffRole, string> = { agent: 'Agent', supervisor: 'Supervisor', admin: 'Admin' };
