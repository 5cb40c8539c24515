// The signed-in layout: sidebar (org switcher, navigation, account menu), collapsing to a top bar on phones.
import * as Dialog from '@radix-ui/react-dialog';
import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { Form, Link, NavLink, useLocation } from '@remix-run/react';
import { Bot, Check, ChevronsUpDown, Inbox, KeyRound, LogOut, Menu, Plus, ScrollText, Settings, Users, X } from 'lucide-react';
import { useEffect, useState } from 'react';
import { initials, cn } from '~/utils/misc';
import { Logo } from './logo';

export interface ShellOrganization {
  slug: string;
  name: string;
  role: string;
}

export interface ShellProps {
  user: { name: string; email: string };
  organization: { slug: string; name: string };
  organizations: ShellOrganization[];
  /** Proposals waiting for a person: the count badge on "Proposals". */
  pendingProposals?: number;
  children: React.ReactNode;
}

const NAV = [
  { to: 'credentials', label: 'Credentials', icon: KeyRound },
  { to: 'agents', label: 'Agents', icon: Bot },
  { to: 'proposals', label: 'Proposals', icon: Inbox },
  { to: 'members', label: 'Members', icon: Users },
  { to: 'audit', label: 'Audit log', icon: ScrollText },
  { to: 'settings', label: 'Settings', icon: Settings },
] as const;

const menuContentClass =
  'z-50 min-w-56 overflow-hidden rounded-lg border border-slate-200 bg-white p-1 text-sm shadow-lg data-[state=open]:animate-in';
const menuItemClass =
  'flex cursor-default select-none items-center gap-2 rounded-md px-2 py-1.5 text-slate-700 outline-none data-[highlighted]:bg-slate-100 data-[highlighted]:text-slate-900';

function OrgAvatar({ name, className }: { name: string; className?: string }) {
  return (
    <span aria-hidden className={cn('flex size-6 shrink-0 items-center justify-center rounded-md bg-slate-900 text-[10px] font-semibold text-white', className)}>
      {initials(name)}
    </span>
  );
}

function OrgSwitcher({ organization, organizations }: Pick<ShellProps, 'organization' | 'organizations'>) {
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger
        className="flex w-full items-center gap-2 rounded-lg border border-slate-200 bg-white px-2 py-1.5 text-left text-sm shadow-sm hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
      >
        <OrgAvatar name={organization.name} />
        <span className="min-w-0 flex-1 truncate font-medium text-slate-900">{organization.name}</span>
        <span className="sr-only">: switch organization</span>
        <ChevronsUpDown className="size-4 text-slate-400" aria-hidden />
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content align="start" sideOffset={6} className={menuContentClass}>
          <DropdownMenu.Label className="px-2 py-1.5 text-xs font-medium text-slate-500">Organizations</DropdownMenu.Label>
          {organizations.map((org) => (
            <DropdownMenu.Item key={org.slug} asChild className={menuItemClass}>
              <Link to={`/orgs/${org.slug}/credentials`}>
                <OrgAvatar name={org.name} className="size-5" />
                <span className="min-w-0 flex-1 truncate">{org.name}</span>
                {org.slug === organization.slug ? <Check className="size-4 text-indigo-600" aria-label="Current" /> : null}
              </Link>
            </DropdownMenu.Item>
          ))}
          <DropdownMenu.Separator className="my-1 h-px bg-slate-200" />
          <DropdownMenu.Item asChild className={menuItemClass}>
            <Link to="/orgs/new">
              <Plus className="size-4" aria-hidden />
              Create organization
            </Link>
          </DropdownMenu.Item>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

function UserMenu({ user }: Pick<ShellProps, 'user'>) {
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger
        className="flex w-full items-center gap-2.5 rounded-lg px-2 py-1.5 text-left hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
      >
        {/* The name keeps the visible text (WCAG 2.5.3) and starts with what the button is. */}
        <span className="sr-only">Account menu</span>
        <span aria-hidden className="flex size-8 shrink-0 items-center justify-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-700">
          {initials(user.name)}
        </span>
        <span className="min-w-0 flex-1">
          <span className="block truncate text-sm font-medium text-slate-900">{user.name}</span>
          <span className="block truncate text-xs text-slate-500">{user.email}</span>
        </span>
        <ChevronsUpDown className="size-4 text-slate-400" aria-hidden />
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content side="top" align="start" sideOffset={6} className={menuContentClass}>
          <div className="px-2 py-1.5">
            <p className="truncate text-sm font-medium text-slate-900">{user.name}</p>
            <p className="truncate text-xs text-slate-500">{user.email}</p>
          </div>
          <DropdownMenu.Separator className="my-1 h-px bg-slate-200" />
          <Form method="post" action="/logout">
            {/* Keep the menu open on select: closing it unmounts the form before the submit happens. */}
            <DropdownMenu.Item asChild className={menuItemClass} onSelect={(event) => event.preventDefault()}>
              <button type="submit" className="w-full">
                <LogOut className="size-4" aria-hidden />
                Log out
              </button>
            </DropdownMenu.Item>
          </Form>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

function Navigation({ slug, pendingProposals = 0 }: { slug: string; pendingProposals?: number }) {
  return (
    <nav aria-label="Main" className="flex flex-col gap-0.5">
      {NAV.map(({ to, label, icon: Icon }) => (
        <NavLink
          key={to}
          to={`/orgs/${slug}/${to}`}
          className={({ isActive }) =>
            cn(
              'flex items-center gap-2.5 rounded-lg px-2.5 py-1.5 text-sm font-medium transition-colors',
              isActive ? 'bg-white text-indigo-700 shadow-sm ring-1 ring-slate-200' : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900',
            )
          }
        >
          <Icon className="size-4" aria-hidden />
          {label}
          {to === 'proposals' && pendingProposals > 0 ? (
            <span
              data-testid="pending-proposals"
              className="ml-auto inline-flex min-w-5 items-center justify-center rounded-full bg-indigo-600 px-1.5 py-0.5 text-[11px] leading-none font-semibold text-white tabular-nums"
            >
              {pendingProposals > 99 ? '99+' : pendingProposals}
              <span className="sr-only"> pending</span>
            </span>
          ) : null}
        </NavLink>
      ))}
    </nav>
  );
}

function SidebarContents(props: Omit<ShellProps, 'children'>) {
  return (
    <div className="flex h-full flex-col gap-5 px-3 py-4">
      <Link to={`/orgs/${props.organization.slug}/credentials`} className="px-1">
        <Logo />
      </Link>
      <OrgSwitcher organization={props.organization} organizations={props.organizations} />
      <Navigation slug={props.organization.slug} pendingProposals={props.pendingProposals} />
      <div className="mt-auto border-t border-slate-200 pt-3">
        <UserMenu user={props.user} />
      </div>
    </div>
  );
}

export function AppShell({ children, ...props }: ShellProps) {
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  // Following a link in the slide-over closes it.
  useEffect(() => setMenuOpen(false), [location.pathname]);

  return (
    <div className="min-h-full">
      <aside className="fixed inset-y-0 left-0 z-30 hidden w-64 border-r border-slate-200 bg-slate-50 lg:block">
        <SidebarContents {...props} />
      </aside>

      <Dialog.Root open={menuOpen} onOpenChange={setMenuOpen}>
        <header className="sticky top-0 z-20 flex h-14 items-center gap-3 border-b border-slate-200 bg-white/90 px-4 backdrop-blur lg:hidden">
          <Dialog.Trigger asChild>
            <button
              type="button"
              aria-label="Open menu"
              className="-ml-1.5 rounded-lg p-1.5 text-slate-600 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
            >
              <Menu className="size-5" aria-hidden />
            </button>
          </Dialog.Trigger>
          <Logo className="text-sm" />
          <span className="ml-auto max-w-[45%] truncate text-sm text-slate-500">{props.organization.name}</span>
        </header>
        <Dialog.Portal>
          <Dialog.Overlay className="fixed inset-0 z-40 bg-slate-900/40 lg:hidden" />
          <Dialog.Content className="fixed inset-y-0 left-0 z-50 w-72 max-w-[85vw] border-r border-slate-200 bg-slate-50 shadow-xl focus:outline-none lg:hidden">
            <Dialog.Title className="sr-only">Menu</Dialog.Title>
            <Dialog.Description className="sr-only">Navigation, organizations and your account</Dialog.Description>
            <Dialog.Close asChild>
              <button
                type="button"
                aria-label="Close menu"
                className="absolute top-4 right-3 rounded-lg p-1.5 text-slate-500 hover:bg-slate-200"
              >
                <X className="size-4" aria-hidden />
              </button>
            </Dialog.Close>
            <SidebarContents {...props} />
          </Dialog.Content>
        </Dialog.Portal>
      </Dialog.Root>

      <main className="lg:pl-64">
        <div className="mx-auto max-w-6xl px-4 py-6 sm:px-6 lg:px-10 lg:py-10">{children}</div>
      </main>
    </div>
  );
}
