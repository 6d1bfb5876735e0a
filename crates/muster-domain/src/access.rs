//! The vocabulary of access: Muster's own administrative capabilities.

wire_enum!(
    /// An administrative capability a role grants at the nodes it is placed at.
    Capability {
        /// See users' profiles.
        UsersView = "users.view",
        /// Create users.
        UsersCreate = "users.create",
        /// Edit users' profiles.
        UsersEdit = "users.edit",
        /// Ban, un-ban, retire, reactivate, switch login kind, delete.
        UsersLifecycle = "users.lifecycle",
        /// Reset passwords and send temporary ones.
        UsersResetPassword = "users.reset_password",
        /// Add placements.
        PlacementsAdd = "placements.add",
        /// Change the role of a placement.
        PlacementsEditRole = "placements.edit_role",
        /// Move a placement to another node.
        PlacementsEditLocation = "placements.edit_location",
        /// Delete placements.
        PlacementsDelete = "placements.delete",
        /// Choose a user's default placement.
        PlacementsSetDefault = "placements.set_default",
        /// Create and edit roles.
        RolesManage = "roles.manage",
        /// Edit the tree, reference lists and settings.
        OrgManage = "org.manage",
        /// Edit the command hierarchy and its privileges.
        HierarchyManage = "hierarchy.manage",
        /// Read the audit log.
        AuditView = "audit.view",
        /// Create and revoke API tokens.
        TokensManage = "tokens.manage",
    }
);
