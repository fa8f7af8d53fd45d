//! The palette, export, copy and saved views through the update step: keys in, state and
//! effects out. No terminal, no database.

use std::path::PathBuf;

use crossterm::event::KeyCode;
use orderboard::config::{QuickFilter, ViewConfig};
use orderboard::domain::{Actor, OrderSort, Role};
use orderboard::tui::action::{Action, ActionSet};
use orderboard::tui::app::{App, BoardScreen, Overlay, update};
use orderboard::tui::msg::{Effect, ExportFailure, ExportFormat, Exported, Msg};
use orderboard::tui::overlays::{Command, Palette, Prompt};

use crate::tui_fixtures::{board_data, key, new_app, press, seller, signed_in, typed};

fn board(app: &App) -> &BoardScreen {
    app.board().expect("on the board")
}

fn palette(app: &App) -> &Palette {
    match &board(app).overlay {
        Some(Overlay::Palette(palette)) => palette,
        _ => panic!("the palette is open"),
    }
}

fn prompt(app: &App) -> &Prompt {
    match &board(app).overlay {
        Some(Overlay::Prompt(prompt)) => prompt,
        _ => panic!("a prompt is open"),
    }
}

fn status(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// Opens the palette and types `query`.
fn palette_query(app: &mut App, query: &str) {
    let mut msgs = vec![key(KeyCode::Char(':'))];
    msgs.extend(typed(query));
    press(app, msgs);
}

#[test]
fn the_palette_matches_actions_and_targets_and_runs_them_as_their_keys() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    palette_query(&mut app, "late");
    let top = &palette(&app).shown[0].item;
    assert_eq!(top.command, Command::Action(Action::LateOnly));
    assert_eq!(
        (top.label.as_str(), top.key.as_str()),
        ("only late orders", "L")
    );
    // Enter does what L does: the late filter, and a reload under it.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(board(&app).overlay.is_none());
    assert!(board(&app).filters.quick.late);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadBoard { query, .. }] if query.due_before.is_some()),
        "{effects:?}"
    );

    // Every action a seller has but the palette itself is offered, from the same list as
    // the keys: not the history explorer or view as, which are for staff and admins.
    palette_query(&mut app, "");
    let actions: Vec<Action> = palette(&app)
        .items
        .iter()
        .filter_map(|i| match i.command {
            Command::Action(action) => Some(action),
            _ => None,
        })
        .collect();
    assert_eq!(actions.len(), Action::ALL.len() - 3);
    assert!(!actions.contains(&Action::HistoryExplorer) && !actions.contains(&Action::ViewAs));
    // Quitting is the last row, so Enter on an empty query does something harmless.
    assert_eq!(actions.last(), Some(&Action::Quit));
    assert_ne!(
        palette(&app).shown[0].item.command,
        Command::Action(Action::Quit)
    );
    press(&mut app, [key(KeyCode::Esc)]);

    palette_query(&mut app, "#42");
    assert_eq!(palette(&app).shown[0].item.command, Command::GoToOrder(42));
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(
        matches!(effects.as_slice(), [Effect::GoToOrder { order_id: 42, .. }]),
        "{effects:?}"
    );

    palette_query(&mut app, "sort due");
    assert_eq!(
        palette(&app).shown[0].item.command,
        Command::Sort(OrderSort::Due)
    );
    press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(board(&app).filters.sort, OrderSort::Due);

    palette_query(&mut app, "workflow checkout");
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadBoard { workflow: Some(w), .. }] if w == "checkout"),
        "{effects:?}"
    );

    palette_query(&mut app, "theme light");
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(
        matches!(effects.as_slice(), [Effect::SetTheme(_)]),
        "{effects:?}"
    );
}

#[test]
fn the_palette_offers_the_views_of_the_role_and_takes_pastes() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    palette_query(&mut app, "view");
    let views: Vec<&str> = palette(&app)
        .shown
        .iter()
        .filter_map(|s| match &s.item.command {
            Command::View(name) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(views, vec!["start.seller"]);
    press(&mut app, [key(KeyCode::Esc)]);

    // A paste is text for the box: its newline runs nothing, and it is bounded.
    press(&mut app, [key(KeyCode::Char(':'))]);
    update(&mut app, Msg::Paste("expo\nrt".into()));
    assert!(board(&app).overlay.is_some());
    assert_eq!(
        palette(&app).shown[0].item.command,
        Command::Action(Action::Export)
    );
    update(&mut app, Msg::Paste("x".repeat(10_000)));
    assert_eq!(palette(&app).input.value().chars().count(), 64);
    assert!(palette(&app).shown.is_empty());
}

#[test]
fn export_asks_for_a_path_asks_before_overwriting_and_reports() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    press(&mut app, [key(KeyCode::Char('x'))]);
    let path = "orderboard-marketplace-paid-2026-03-01.csv";
    assert_eq!(prompt(&app).input.value(), path);

    // Neither .csv nor .json: said in the prompt, nothing sent.
    update(&mut app, Msg::Paste("x".into()));
    assert!(press(&mut app, [key(KeyCode::Enter)]).is_empty());
    assert_eq!(
        prompt(&app).error.as_deref(),
        Some("the file name must end in .csv or .json")
    );
    press(&mut app, [key(KeyCode::Backspace)]);

    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let [Effect::Export(request)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.path, PathBuf::from(path));
    assert_eq!(request.format, ExportFormat::Csv);
    assert!(!request.overwrite);
    assert_eq!(request.query.state.as_deref(), Some("paid"));
    assert_eq!(request.states, vec!["paid".to_string()]);
    assert!(prompt(&app).busy);

    // The file exists: y writes over it.
    update(
        &mut app,
        Msg::Exported(Err(ExportFailure::Exists(PathBuf::from(path)))),
    );
    assert!(prompt(&app).confirm_overwrite);
    let effects = press(&mut app, [key(KeyCode::Char('y'))]);
    assert!(
        matches!(effects.as_slice(), [Effect::Export(r)] if r.overwrite),
        "{effects:?}"
    );
    update(
        &mut app,
        Msg::Exported(Ok(Exported {
            count: 3,
            path: PathBuf::from(path),
            cut: false,
        })),
    );
    assert!(board(&app).overlay.is_none());
    assert_eq!(status(&app), format!("exported 3 orders to {path}"));

    // With a quick filter on, the whole filtered board of the workflow, late ones only.
    press(&mut app, [key(KeyCode::Char('L')), key(KeyCode::Char('x'))]);
    update(&mut app, Msg::BoardLoaded(Ok(board_data())));
    assert!(prompt(&app).input.value().contains("-filtered-"));
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let [Effect::Export(request)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.query.state, None);
    assert!(request.late_only && request.query.due_before.is_some());
    update(
        &mut app,
        Msg::Exported(Err(ExportFailure::Failed(
            "not exported: cannot write x.csv: permission denied".into(),
        ))),
    );
    assert_eq!(
        status(&app),
        "not exported: cannot write x.csv: permission denied"
    );
    assert!(!prompt(&app).busy);
}

#[test]
fn copying_sends_the_id_or_a_summary_to_the_clipboard() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    let effects = press(&mut app, [key(KeyCode::Char('y'))]);
    match effects.as_slice() {
        [Effect::Copy { text, label }] => {
            assert_eq!((text.as_str(), label.as_str()), ("11", "the id of #11"));
        }
        other => panic!("{other:?}"),
    }
    update(&mut app, Msg::Copied(Ok("the id of #11".into())));
    assert_eq!(status(&app), "copied the id of #11");
    // The summary is display-safe: order 13's title holds escapes.
    press(&mut app, [key(KeyCode::Down), key(KeyCode::Down)]);
    let effects = press(&mut app, [key(KeyCode::Char('Y'))]);
    let [Effect::Copy { text, label }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(label, "a summary of #13");
    assert!(text.starts_with("#13 Evil "), "{text}");
    assert!(
        text.ends_with(" · carol → sam · 130.99 EUR · Paid"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text}"
    );
}

#[test]
fn saving_a_view_writes_it_to_the_config_and_the_palette_offers_it() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    // No config file known: said in the prompt.
    press(&mut app, [key(KeyCode::Char('v'))]);
    press(&mut app, typed("late work"));
    press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(
        prompt(&app).error.as_deref(),
        Some("no config file to save the view in")
    );
    press(&mut app, [key(KeyCode::Esc)]);

    let config = PathBuf::from("/tmp/orderboard-test/config.toml");
    app.config_path = Some(config.clone());
    press(&mut app, [key(KeyCode::Char('L')), key(KeyCode::Char('v'))]);
    press(&mut app, typed("late work"));
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let [Effect::SaveView { path, view }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(path, &config);
    let expected = ViewConfig {
        name: "late work".into(),
        workflow: Some("marketplace".into()),
        filter: String::new(),
        quick: vec![QuickFilter::Late],
        sort: Some(OrderSort::Id),
        roles: vec![],
    };
    assert_eq!(view, &expected);
    update(&mut app, Msg::ViewSaved(Ok((expected.clone(), config))));
    assert!(board(&app).overlay.is_none());
    assert_eq!(
        status(&app),
        "saved view \"late work\" to /tmp/orderboard-test/config.toml"
    );

    // Off again, then back through the palette.
    press(&mut app, [key(KeyCode::Char('L'))]);
    assert!(!board(&app).filters.quick.late);
    palette_query(&mut app, "view late work");
    assert_eq!(
        palette(&app).shown[0].item.command,
        Command::View("late work".into())
    );
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(board(&app).filters.quick.late);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadBoard { .. }]),
        "{effects:?}"
    );
}

#[test]
fn a_configured_start_view_replaces_the_roles_built_in_one() {
    let mut app = new_app((120, 40));
    app.views = orderboard::tui::views::all(&[ViewConfig {
        name: "start.support".into(),
        quick: vec![QuickFilter::FailedEffects],
        sort: Some(OrderSort::Due),
        ..ViewConfig::default()
    }]);
    let effects = update(
        &mut app,
        Msg::SignedIn(Ok(Actor::new("sue", Role::Support))),
    );
    let quick = board(&app).filters.quick;
    assert!(quick.needs_attention && !quick.disputes);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadBoard { query, .. }] if query.needs_attention && query.sort == OrderSort::Due),
        "{effects:?}"
    );
}
