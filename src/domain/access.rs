//! Who may do what beyond the workflow's own rules: the one place the CLI and the TUI ask.
//! (Which transitions an actor may take is the workflow engine's answer; which orders they
//! may see is `Order::is_visible_to` / `Visibility::for_actor`.)

use super::role::Role;

/// Actions outside the workflows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Admins, and system accounts (a storefront placing orders through the API).
    CreateOrders,
    AddUsers,
    ListUsers,
    /// Disable, enable, re-role and unlock users.
    ManageUsers,
    FireTimers,
    Verify,
    Seed,
    /// See refused attempts in an order's history.
    SeeAttempts,
    /// List effect deliveries across orders; retry or resolve a failed one.
    ManageEffects,
    /// Add, list and revoke API tokens.
    ManageTokens,
    /// List and end other people's sign-in sessions.
    ManageSessions,
    /// See the board as another user sees it, read-only.
    ViewAs,
}

impl Permission {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Permission::AddUsers
            | Permission::ListUsers
            | Permission::ManageUsers
            | Permission::Verify
            | Permission::Seed
            | Permission::ManageTokens
            | Permission::ManageSessions
            | Permission::ViewAs => role == Role::Admin,
            // http.md: a storefront's system account places orders over the API.
            Permission::CreateOrders | Permission::FireTimers => {
                matches!(role, Role::Admin | Role::System)
            }
            Permission::SeeAttempts | Permission::ManageEffects => {
                matches!(role, Role::Support | Role::Admin)
            }
        }
    }

    /// Whether the permission is to change something (refused to a read-only actor).
    pub fn writes(self) -> bool {
        match self {
            Permission::CreateOrders
            | Permission::AddUsers
            | Permission::ManageUsers
            | Permission::FireTimers
            | Permission::Seed
            | Permission::ManageTokens
            | Permission::ManageSessions => true,
            Permission::ListUsers
            | Permission::Verify
            | Permission::SeeAttempts
            | Permission::ManageEffects
            | Permission::ViewAs => false,
        }
    }

    /// The sentence shown when `allows` says no.
    pub fn refusal(self) -> &'static str {
        match self {
            Permission::CreateOrders => "only an admin or a system account may create orders",
            Permission::AddUsers => "only an admin may add users",
            Permission::ListUsers => "only an admin may list users",
            Permission::ManageUsers => "only an admin may change users",
            Permission::FireTimers => "only an admin or a system account may fire timers",
            Permission::Verify => "only an admin may verify the database",
            Permission::Seed => "only an admin may seed synthetic orders",
            Permission::SeeAttempts => "only support and admin may see refused attempts",
            Permission::ManageEffects => "only support and admin may manage effect deliveries",
            Permission::ManageTokens => "only an admin may manage API tokens",
            Permission::ManageSessions => "only an admin may manage other people's sessions",
            Permission::ViewAs => "only an admin may view the board as another user",
        }
    }
}
