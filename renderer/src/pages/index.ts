import type { ComponentType } from 'react';
import { AgentsPage } from './agents/AgentsPage';
import { QueuePage } from './queue/QueuePage';
import { ConflictsPage, ReviewWindow } from './conflicts/ConflictsPage';
import { WorkspacePage } from './workspace/WorkspacePage';
import { SettingsPage } from './settings/SettingsPage';

/**
 * The pages of the main window, in navigation order. A page is a component and a route id (`#/<id>`);
 * `routes` are extra routes with a parameter (`#/<prefix>/<param>`), e.g. the conflict review window.
 */
export interface PageDef {
  id: string;
  title: string;
  component: ComponentType;
}
export interface RouteDef {
  prefix: string;
  /** rendered without the navigation: these routes are whole windows of their own */
  standalone: boolean;
  component: ComponentType<{ param: string }>;
}

export const pages: PageDef[] = [
  { id: 'agents', title: 'Agents', component: AgentsPage },
  { id: 'queue', title: 'Sync queue', component: QueuePage },
  { id: 'conflicts', title: 'Conflicts', component: ConflictsPage },
  { id: 'workspace', title: 'Workspace', component: WorkspacePage },
  { id: 'settings', title: 'Settings', component: SettingsPage },
];

export const routes: RouteDef[] = [
  { prefix: 'review', standalone: true, component: ReviewWindow },
];
