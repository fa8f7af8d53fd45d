//! The UI's update step driven by key sequences and IO results, asserting state and effects.
//! No terminal, no database, no async.

use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use orderboard::domain::{Actor, Role};
use orderboard::store::Applied;
use orderboard::tui::app::{Overlay, Pane, Screen, update};
use orderboard::tui::msg::{ApplyFailure, ConnectionState, Effect, Msg};
use orderboard::tui::overlays::Pick;

use crate::tui_fixtures::{
    board_data, card, detail_for, feed_event, key, new_app, press, seller, signed_in, typed,
};

fn board(app: &orderboard::tui::app::App) -> &orderboard::tui::app::BoardScreen {
    app.board().expect("on the board")
}

fn selected(app: &orderboard::tui::app::App) -> Option<i64> {
    board(app).selected_order().map(|o| o.id)
}

#[test]
fn signing_in_sends_the_typed_name_and_keeps_the_password_masked() {
    let mut app = new_app((80, 24));
    let mut msgs = typed("sam");
    msgs.push(key(KeyCode::Enter));
    msgs.extend(typed("sam-demo"));
    msgs.push(key(KeyCode::Enter));
    let effects = press(&mut app, msgs);
    match effects.as_slice() {
        [Effect::SignIn { name, password }] => {
            assert_eq!(name, "sam");
            assert_eq!(password.expose(), "sam-demo");
        }
        other => panic!("{other:?}"),
    }
    // Wrong credentials: the one message, the password cleared, the name kept.
    update(
        &mut app,
        Msg::SignedIn(Err("invalid username or password".into())),
    );
    let Screen::Login(form) = &app.screen else {
        panic!("still on the login screen")
    };
    assert_eq!(form.error.as_deref(), Some("invalid username or password"));
    assert_eq!(form.password.value(), "");
    assert_eq!(form.name.value(), "sam");
}

#[test]
fn a_seller_starts_on_paid_work_and_support_on_disputes() {
    let (app, effects) = signed_in(seller(), (120, 40));
    assert_eq!(
        board(&app).columns[board(&app).selection.column].state,
        "paid"
    );
    assert_eq!(selected(&app), Some(11));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::StartFeed { after_id: 900, .. })),
        "{effects:?}"
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadDetail { order_id: 11, .. }))
    );

    let mut app = new_app((120, 40));
    let effects = update(
        &mut app,
        Msg::SignedIn(Ok(Actor::new("sue", Role::Support))),
    );
    match effects.as_slice() {
        [Effect::LoadBoard { query, .. }] => assert!(query.due_before.is_none()),
        other => panic!("{other:?}"),
    }
    assert!(board(&app).filters.quick.disputes);
    update(&mut app, Msg::BoardLoaded(Ok(board_data())));
    let states: Vec<&str> = board(&app)
        .columns
        .iter()
        .map(|c| c.state.as_str())
        .collect();
    assert_eq!(states, vec!["cancel_requested", "disputing"]);
}

#[test]
fn arrows_and_vim_keys_move_and_finished_columns_fold() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    press(&mut app, [key(KeyCode::Char('j')), key(KeyCode::Down)]);
    assert_eq!(selected(&app), Some(13));
    press(&mut app, [key(KeyCode::Char('k'))]);
    assert_eq!(selected(&app), Some(12));
    press(&mut app, [key(KeyCode::Home)]);
    assert_eq!(selected(&app), Some(11));
    press(&mut app, [key(KeyCode::End)]);
    assert_eq!(selected(&app), Some(13));
    press(&mut app, [key(KeyCode::Char('l'))]);
    assert_eq!(selected(&app), Some(21));
    press(
        &mut app,
        [
            key(KeyCode::Right),
            key(KeyCode::Right),
            key(KeyCode::Right),
            key(KeyCode::Right),
            key(KeyCode::Right),
        ],
    );
    // Terminal columns are folded: the last open column is the end of the road.
    let column = &board(&app).columns[board(&app).selection.column];
    assert!(!column.terminal);
    press(
        &mut app,
        [
            key(KeyCode::Char('c')),
            key(KeyCode::Right),
            key(KeyCode::Right),
            key(KeyCode::Right),
        ],
    );
    assert!(board(&app).columns[board(&app).selection.column].terminal);
    press(&mut app, [key(KeyCode::Char('h'))]);
    press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(board(&app).selection.focus, Pane::Order);
    press(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(board(&app).selection.focus, Pane::Board);
}

#[test]
fn the_menu_offers_exactly_the_legal_transitions() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    press(&mut app, [key(KeyCode::Enter)]);
    let Some(Overlay::Menu(menu)) = &board(&app).overlay else {
        panic!("menu open")
    };
    let available: Vec<(&str, &str)> = menu
        .available
        .iter()
        .filter_map(|pick| match pick {
            Pick::Transition(a) => Some((a.event.as_str(), a.to.as_str())),
            Pick::Effect(_) => None,
        })
        .collect();
    assert_eq!(
        available,
        vec![
            ("order.accepted", "inprogress"),
            ("order.rejected", "rejected")
        ]
    );
    let blocked: Vec<String> = menu
        .blocked
        .iter()
        .map(|b| format!("{}: {}", b.event, b.reason))
        .collect();
    assert_eq!(
        blocked,
        vec!["order.force_cancelled: only admin may do this"]
    );
    assert_eq!(
        menu.other_states, 11,
        "14 events: 2 available, 1 blocked, 11 for other states"
    );
    // Accepting needs neither a note nor a confirmation.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    match effects.as_slice() {
        [
            Effect::Apply {
                order_id: 11,
                event,
                note: None,
                version: 1,
                ..
            },
        ] => assert_eq!(event, "order.accepted"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rejecting_asks_for_a_note_then_a_confirmation() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    press(
        &mut app,
        [key(KeyCode::Enter), key(KeyCode::Down), key(KeyCode::Enter)],
    );
    assert!(matches!(board(&app).overlay, Some(Overlay::Note(_))));
    // An empty note is refused on the spot.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(effects.is_empty());
    let Some(Overlay::Note(form)) = &board(&app).overlay else {
        panic!()
    };
    assert_eq!(
        form.error.as_deref(),
        Some("a note is required for this transition")
    );
    let mut msgs = typed("out of stock");
    msgs.push(key(KeyCode::Enter));
    press(&mut app, msgs);
    let Some(Overlay::Confirm(confirm)) = &board(&app).overlay else {
        panic!("confirmation")
    };
    assert_eq!(confirm.effects, vec!["refund(full)", "notify(customer)"]);
    // "n" goes back without applying; the second time, "y" applies.
    assert!(press(&mut app, [key(KeyCode::Char('n'))]).is_empty());
    assert!(board(&app).overlay.is_none());
    // The note written for the declined confirmation comes back in the note box.
    let msgs = vec![
        key(KeyCode::Enter),
        key(KeyCode::Down),
        key(KeyCode::Enter),
        key(KeyCode::Enter),
        key(KeyCode::Char('y')),
    ];
    let effects = press(&mut app, msgs);
    match effects.as_slice() {
        [
            Effect::Apply {
                order_id: 11,
                event,
                note: Some(note),
                ..
            },
        ] => {
            assert_eq!(
                (event.as_str(), note.as_str()),
                ("order.rejected", "out of stock")
            );
        }
        other => panic!("{other:?}"),
    }
}

fn applied(id: i64, event: &str, from: &str, to: &str, history_id: i64) -> Applied {
    Applied {
        id,
        event: event.into(),
        from: from.into(),
        to: to.into(),
        version: 2,
        effects: vec![],
        history_id,
    }
}

#[test]
fn our_change_moves_the_card_once_and_the_selection_follows() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    assert!(!app.change_in_flight());
    press(&mut app, [key(KeyCode::Enter), key(KeyCode::Enter)]);
    // Sent and not yet answered: quitting now would leave it under way.
    assert!(app.change_in_flight());
    let effects = update(
        &mut app,
        Msg::Applied(Ok(applied(
            11,
            "order.accepted",
            "paid",
            "inprogress",
            1001,
        ))),
    );
    let [Effect::FollowEvent { event, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(!app.change_in_flight());
    let mut moved = card(11, "inprogress", "Logo design", "carol", 48);
    moved.version = 2;
    let effects = update(
        &mut app,
        Msg::OrderChanged {
            event: event.clone(),
            order: Some(moved.clone()),
        },
    );
    // Counts are re-read, not guessed: one query, whose answer sets them.
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RefreshCounts { .. })),
        "{effects:?}"
    );
    let fresh = vec![("paid".to_string(), 2), ("inprogress".to_string(), 3)];
    update(
        &mut app,
        Msg::CountsRefreshed {
            workflow: "marketplace".into(),
            counts: Ok(fresh),
        },
    );
    let counts: Vec<(String, i64)> = board(&app)
        .columns
        .iter()
        .map(|c| (c.state.clone(), c.count))
        .take(2)
        .collect();
    assert_eq!(
        counts,
        vec![("paid".to_string(), 2), ("inprogress".to_string(), 3)]
    );
    assert_eq!(selected(&app), Some(11));
    assert_eq!(
        board(&app).columns[board(&app).selection.column].state,
        "inprogress"
    );
    // The feed echoes our own change: shown in the feed, but the board is not moved twice.
    let echo = feed_event(
        1001,
        11,
        "sam",
        "seller",
        "order.accepted",
        "paid",
        "inprogress",
    );
    let effects = update(&mut app, Msg::Feed(vec![echo.clone()]));
    assert!(effects.is_empty(), "{effects:?}");
    update(
        &mut app,
        Msg::OrderChanged {
            event: echo,
            order: Some(moved),
        },
    );
    assert_eq!(board(&app).columns[0].count, 2);
    assert_eq!(
        board(&app).feed.events.front().map(|e| e.entry.id),
        Some(1001)
    );
}

#[test]
fn others_changes_update_in_place_without_losing_the_selection() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    press(&mut app, [key(KeyCode::Down)]);
    assert_eq!(selected(&app), Some(12));
    // Someone else accepts order 11, above the selection.
    let event = feed_event(
        1002,
        11,
        "ada",
        "admin",
        "order.force_cancelled",
        "paid",
        "cancelled",
    );
    let effects = update(&mut app, Msg::Feed(vec![event.clone()]));
    assert!(matches!(effects.as_slice(), [Effect::FollowEvent { .. }]));
    update(
        &mut app,
        Msg::OrderChanged {
            event,
            order: Some(card(11, "cancelled", "Logo design", "carol", 48)),
        },
    );
    assert_eq!(selected(&app), Some(12));
    let fresh = vec![("paid".to_string(), 2), ("cancelled".to_string(), 3)];
    update(
        &mut app,
        Msg::CountsRefreshed {
            workflow: "marketplace".into(),
            counts: Ok(fresh),
        },
    );
    assert_eq!(board(&app).columns[0].count, 2);
    let cancelled = board(&app)
        .columns
        .iter()
        .find(|c| c.state == "cancelled")
        .unwrap();
    assert_eq!((cancelled.count, cancelled.cards.len()), (3, 1));
}

#[test]
fn a_lost_race_reloads_the_order_and_offers_the_new_legal_ones() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    press(&mut app, [key(KeyCode::Enter), key(KeyCode::Enter)]);
    let message = "order 11 was changed first by ada (order.force_cancelled): it is now \"cancelled\" at version 2".to_string();
    let effects = update(
        &mut app,
        Msg::Applied(Err(ApplyFailure::Conflict {
            order_id: 11,
            message: message.clone(),
        })),
    );
    assert!(matches!(
        effects.as_slice(),
        [Effect::RefreshOrder { order_id: 11, .. }]
    ));
    assert_eq!(app.status.as_ref().map(|s| s.text.clone()), Some(message));
    let mut reloaded = card(11, "paid", "Logo design", "carol", 48);
    reloaded.version = 2;
    update(&mut app, Msg::OrderRefreshed(Some(reloaded)));
    let Some(Overlay::Menu(menu)) = &board(&app).overlay else {
        panic!("the menu reopens")
    };
    assert_eq!(menu.version, 2);
}

#[test]
fn a_lost_connection_keeps_what_was_typed_and_reloads_on_return() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    let mut msgs = vec![key(KeyCode::Enter), key(KeyCode::Down), key(KeyCode::Enter)];
    msgs.extend(typed("customer asked"));
    msgs.push(key(KeyCode::Enter));
    msgs.push(key(KeyCode::Char('y')));
    press(&mut app, msgs);
    update(
        &mut app,
        Msg::Connection(ConnectionState::Reconnecting("connection refused".into())),
    );
    update(
        &mut app,
        Msg::Applied(Err(ApplyFailure::ConnectionLost(
            "connection refused".into(),
        ))),
    );
    let Some(Overlay::Confirm(confirm)) = &board(&app).overlay else {
        panic!("kept")
    };
    assert_eq!(confirm.note.as_deref(), Some("customer asked"));
    assert!(!confirm.busy);
    let effects = update(&mut app, Msg::Connection(ConnectionState::Online));
    assert!(matches!(effects.as_slice(), [Effect::LoadBoard { .. }]));
    assert_eq!(app.connection, ConnectionState::Online);
}

#[test]
fn filters_reload_the_board_with_their_query() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    let mut msgs = vec![key(KeyCode::Char('/'))];
    msgs.extend(typed("poster"));
    msgs.push(key(KeyCode::Enter));
    // The filter follows every keystroke: the last load asks for the whole text.
    let effects = press(&mut app, msgs);
    let last_load = effects.iter().rev().find_map(|effect| match effect {
        Effect::LoadBoard { query, .. } => Some(query),
        _ => None,
    });
    assert_eq!(last_load.and_then(|q| q.text.as_deref()), Some("poster"));
    let effects = press(&mut app, [key(KeyCode::Char('L'))]);
    match effects.as_slice() {
        [Effect::LoadBoard { query, .. }] => assert!(query.due_before.is_some()),
        other => panic!("{other:?}"),
    }
    let effects = press(&mut app, [key(KeyCode::Esc)]);
    match effects.as_slice() {
        [Effect::LoadBoard { query, .. }] => {
            assert!(query.text.is_none() && query.due_before.is_none())
        }
        other => panic!("{other:?}"),
    }
    let effects = press(&mut app, [key(KeyCode::Char('w'))]);
    match effects.as_slice() {
        [Effect::LoadBoard { workflow, .. }] => assert_eq!(workflow.as_deref(), Some("checkout")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn help_quit_mouse_and_details() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    press(&mut app, [key(KeyCode::Char('?'))]);
    assert!(matches!(board(&app).overlay, Some(Overlay::Help(_))));
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(board(&app).overlay.is_none());
    // A click on the second column's first card (columns are 120 / 4 = 30 wide).
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 35,
        row: 4,
        modifiers: KeyModifiers::NONE,
    };
    let effects = update(&mut app, Msg::Mouse(click));
    assert_eq!(selected(&app), Some(21));
    assert!(matches!(
        effects.as_slice(),
        [Effect::LoadDetail { order_id: 21, .. }]
    ));
    update(
        &mut app,
        Msg::DetailLoaded(Ok(detail_for(card(
            21,
            "inprogress",
            "Poster A2",
            "carol",
            10,
        )))),
    );
    assert!(board(&app).order_pane.detail.is_some());
    // A detail for an order no longer selected is dropped.
    update(
        &mut app,
        Msg::DetailLoaded(Ok(detail_for(card(
            22,
            "inprogress",
            "Pet portrait",
            "dave",
            10,
        )))),
    );
    assert_eq!(
        board(&app)
            .order_pane
            .detail
            .as_ref()
            .map(|d| d.view.order.id),
        Some(21)
    );
    let effects = press(&mut app, [key(KeyCode::Char('q'))]);
    assert!(matches!(effects.as_slice(), [Effect::Quit]));
    assert!(app.quit);
}

#[test]
fn a_reload_replaces_orders_moved_after_its_snapshot() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    let ctrl_r = || {
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('r'),
            KeyModifiers::CONTROL,
        ))
    };
    let effects = press(&mut app, [ctrl_r()]);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadBoard { .. }]),
        "{effects:?}"
    );
    // An event arrives while the reload is in flight: it is followed at once, and the
    // reload's snapshot may predate it, so it is placed again when the snapshot lands.
    let event = feed_event(
        950,
        11,
        "ada",
        "admin",
        "order.force_cancelled",
        "paid",
        "cancelled",
    );
    let is_950 =
        |e: &Effect| matches!(e, Effect::FollowEvent { event, .. } if event.entry.id == 950);
    let effects = update(&mut app, Msg::Feed(vec![event.clone()]));
    assert!(effects.iter().any(is_950), "{effects:?}");
    let effects = update(&mut app, Msg::BoardLoaded(Ok(board_data())));
    assert!(effects.iter().any(is_950), "{effects:?}");
    // The next reload saw nothing arrive meanwhile, and its snapshot is after the event:
    // nothing to place again.
    press(&mut app, [ctrl_r()]);
    let mut fresh = board_data();
    fresh.as_of = 960;
    let effects = update(&mut app, Msg::BoardLoaded(Ok(fresh)));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::FollowEvent { .. })),
        "{effects:?}"
    );
}

/// Support retries a failed refund (confirmed first: it moves money again) or resolves it
/// with a note; each becomes one settlement for the runtime, and its answer reloads the pane.
#[test]
fn support_retries_or_resolves_a_failed_effect_from_the_menu() {
    use orderboard::tui::msg::Settlement;
    let mut app = crate::tui_fixtures::support_with_failed_effects((120, 40));
    press(&mut app, [key(KeyCode::Enter)]);
    // The first item is the retry of the failed refund: it asks for confirmation.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(effects.is_empty(), "{effects:?}");
    let Some(Overlay::Confirm(confirm)) = &board(&app).overlay else {
        panic!("a confirmation")
    };
    assert!(
        confirm
            .consequences
            .iter()
            .any(|line| line.contains("Refund 110.99 EUR to carol (full)")),
        "{:?}",
        confirm.consequences
    );
    let effects = press(&mut app, [key(KeyCode::Char('y'))]);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::SettleEffect(Settlement {
                effect_id: 8,
                resolve: false,
                note: None,
                ..
            })]
        ),
        "{effects:?}"
    );
    let effects = update(
        &mut app,
        Msg::EffectSettled {
            order_id: 11,
            result: Ok("effect #8 refund(full) will be retried".into()),
        },
    );
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::LoadDetail { order_id: 11, .. }]
        ),
        "{effects:?}"
    );
    assert!(board(&app).overlay.is_none());

    // Resolving needs a note.
    let mut app = crate::tui_fixtures::support_with_failed_effects((120, 40));
    press(
        &mut app,
        [key(KeyCode::Enter), key(KeyCode::Down), key(KeyCode::Enter)],
    );
    assert!(matches!(board(&app).overlay, Some(Overlay::Note(_))));
    let mut keys = typed("refunded by bank transfer");
    keys.push(key(KeyCode::Enter));
    let effects = press(&mut app, keys);
    let [Effect::SettleEffect(settlement)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (
            settlement.effect_id,
            settlement.resolve,
            settlement.note.as_deref()
        ),
        (8, true, Some("refunded by bank transfer"))
    );
}

/// A seller's menu never offers effect actions, whatever the pane shows.
#[test]
fn only_support_and_admin_get_effect_actions() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    let mut detail = crate::tui_fixtures::detail_for(crate::tui_fixtures::card(
        11,
        "paid",
        "Logo design",
        "carol",
        48,
    ));
    detail.view.effects = vec![crate::tui_fixtures::effect(
        8,
        11,
        "refund(full)",
        "failed",
        8,
        None,
    )];
    update(&mut app, Msg::DetailLoaded(Ok(detail)));
    press(&mut app, [key(KeyCode::Enter)]);
    let Some(Overlay::Menu(menu)) = &board(&app).overlay else {
        panic!("menu open")
    };
    assert!(
        menu.available
            .iter()
            .all(|p| matches!(p, Pick::Transition(_)))
    );
}

/// A text too short to search says so while it is typed, and the sentence goes once the
/// text is long enough: a search that then finds nothing does not keep it.
#[test]
fn the_short_search_hint_goes_once_the_text_is_long_enough() {
    let (mut app, _) = signed_in(seller(), (80, 24));
    let mut msgs = vec![key(KeyCode::Char('/'))];
    msgs.extend(typed("zz"));
    press(&mut app, msgs);
    let status = app
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(status.contains("at least 3 characters"), "{status}");
    let effects = press(&mut app, typed("z"));
    assert!(
        app.status.is_none(),
        "{:?}",
        app.status.as_ref().map(|s| &s.text)
    );
    assert!(!effects.is_empty(), "the board reloads under the text");
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(app.status.is_none());
}
