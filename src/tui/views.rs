//! Saved views: where each role starts (built in) and the config's `[[views]]`, which add to
//! them and replace a built-in one of the same name (`start.support`).

use crate::config::{QuickFilter, ViewConfig};
use crate::domain::Role;

/// The roles that sign in to the board.
const PEOPLE: [Role; 4] = [Role::Customer, Role::Seller, Role::Support, Role::Admin];

/// The name of a role's start view.
pub fn start_name(role: Role) -> String {
    format!("start.{role}")
}

/// Where each role starts: support on disputes and cancellation requests, everyone else on
/// the whole board (sellers' first column comes from the workflow's start states).
pub fn built_in() -> Vec<ViewConfig> {
    PEOPLE
        .into_iter()
        .map(|role| ViewConfig {
            name: start_name(role),
            quick: if role == Role::Support {
                vec![QuickFilter::Disputes]
            } else {
                Vec::new()
            },
            roles: vec![role],
            ..ViewConfig::default()
        })
        .collect()
}

/// The built-in views the config does not replace, then the config's, in its order.
pub fn all(configured: &[ViewConfig]) -> Vec<ViewConfig> {
    let mut views: Vec<ViewConfig> = built_in()
        .into_iter()
        .filter(|view| configured.iter().all(|c| c.name != view.name))
        .collect();
    views.extend(configured.iter().cloned());
    views
}

/// Adds a view, replacing one of the same name.
pub fn put(views: &mut Vec<ViewConfig>, view: ViewConfig) {
    match views.iter_mut().find(|v| v.name == view.name) {
        Some(slot) => *slot = view,
        None => views.push(view),
    }
}

/// The view a role starts on.
pub fn start_view(views: &[ViewConfig], role: Role) -> Option<&ViewConfig> {
    let name = start_name(role);
    views.iter().find(|v| v.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_start_view_replaces_the_built_in_one() {
        let views = all(&[]);
        assert_eq!(
            start_view(&views, Role::Support).map(|v| v.quick.clone()),
            Some(vec![QuickFilter::Disputes])
        );
        let mine = ViewConfig {
            name: "start.support".into(),
            quick: vec![QuickFilter::FailedEffects],
            ..ViewConfig::default()
        };
        let views = all(std::slice::from_ref(&mine));
        assert_eq!(start_view(&views, Role::Support), Some(&mine));
        assert_eq!(
            views.iter().filter(|v| v.name == "start.support").count(),
            1
        );
    }
}
