//! Issue 11, "the board stays true and is pleasant for a whole working day": one update-step
//! test per item, driven by keys and IO results, no terminal, no database.

use chrono::Duration;
use crossterm::event::{KeyCode, MouseEvent, MouseEventKind};
use orderboard::domain::PendingTimer;
use orderboard::tui::app::{App, BoardScreen, Overlay, Pane, update};
use orderboard::tui::msg::{ApplyFailure, Effect, Msg};

use crate::support::test_now;
use crate::tui_fixtures::{
    board_data, card, detail_for, feed_event, key, press, seller, signed_in, typed,
};

fn board(app: &App) -> &BoardScreen {
    app.board().expect("on the board")
}

fn selected(app: &App) -> Option<i64> {
    board(app).selected_order().map(|o| o.id)
}

fn screen(app: &App) -> String {
    crate::tui_fixtures::screen_text(app)
}

fn column_ids(app: &App, state: &str) -> Vec<i64> {
    board(app)
        .columns
        .iter()
        .find(|c| c.state == state)
        .map(|c| c.cards.iter().map(|o| o.id).collect())
        .unwrap_or_default()
}

/// Item 1: An order created while the board is open appears in place, and counts are re-read.
#[test]
fn new_orders_appear_live() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    let mut created = feed_event(2001, 14, "ada", "admin", "created", "", "paid");
    created.title = "Fresh order".into();
    let effects = update(&mut app, Msg::Feed(vec![created.clone()]));
    assert!(
        matches!(effects.as_slice(), [Effect::FollowEvent { event, .. }] if event.created),
        "{effects:?}"
    );
    let effects = update(
        &mut app,
        Msg::OrderChanged {
            event: created,
            order: Some(card(14, "paid", "Fresh order", "carol", 30)),
        },
    );
    assert_eq!(column_ids(&app, "paid"), vec![11, 12, 13, 14]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RefreshCounts { .. }))
    );
    assert!(screen(&app).contains("new in Paid"));
}

/// Item 2: The order you look at moved by someone else: said, kept selected, an open menu on it
/// reopened fresh; a lost race keeps the typed note and shows the whole message.
#[test]
fn nothing_moves_silently() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    press(&mut app, [key(KeyCode::Enter)]);
    let moved = feed_event(
        2002,
        11,
        "carol",
        "customer",
        "order.cancel_requested",
        "paid",
        "cancel_requested",
    );
    let mut fresh = card(11, "cancel_requested", "Logo design", "carol", 48);
    fresh.version = 2;
    update(
        &mut app,
        Msg::OrderChanged {
            event: moved,
            order: Some(fresh),
        },
    );
    assert_eq!(selected(&app), Some(11));
    assert_eq!(
        app.status.as_ref().map(|s| s.text.as_str()),
        Some("#11 moved to Cancel requested by carol")
    );
    let Some(Overlay::Menu(menu)) = &board(&app).overlay else {
        panic!("the menu reopens on the moved order")
    };
    assert_eq!(
        (menu.version, menu.notice.as_deref()),
        (2, Some("#11 moved to Cancel requested by carol"))
    );

    // A lost race on a rejection with a typed note: the note comes back, the message whole.
    let (mut app, _) = signed_in(seller(), (120, 40));
    let mut msgs = vec![key(KeyCode::Enter), key(KeyCode::Down), key(KeyCode::Enter)];
    msgs.extend(typed("out of stock"));
    msgs.push(key(KeyCode::Enter));
    msgs.push(key(KeyCode::Char('y')));
    press(&mut app, msgs);
    let message = "order 11 was changed first by carol (order.cancel_requested): it is now \"cancel_requested\" at version 2".to_string();
    update(
        &mut app,
        Msg::Applied(Err(ApplyFailure::Conflict {
            order_id: 11,
            message: message.clone(),
        })),
    );
    let mut back = card(11, "paid", "Logo design", "carol", 48);
    back.version = 3;
    update(&mut app, Msg::OrderRefreshed(Some(back)));
    let Some(Overlay::Menu(menu)) = &board(&app).overlay else {
        panic!("reopened")
    };
    assert_eq!(menu.notice.as_deref(), Some(message.as_str()));
    press(&mut app, [key(KeyCode::Down), key(KeyCode::Enter)]);
    let Some(Overlay::Note(form)) = &board(&app).overlay else {
        panic!("note box")
    };
    assert_eq!(form.input.value(), "out of stock");
}

/// Item 3: A pending timer shows as a countdown with its absolute time; an overdue one is flagged.
#[test]
fn timers_are_visible() {
    let (mut app, _) = signed_in(seller(), (160, 48));
    let mut data = board_data();
    data.columns[0].cards[0].timer = Some(PendingTimer {
        event: "order.auto_completed".into(),
        due_at: test_now() + Duration::days(2) + Duration::hours(23),
    });
    data.columns[0].cards[1].timer = Some(PendingTimer {
        event: "order.auto_completed".into(),
        due_at: test_now() - Duration::hours(3),
    });
    update(&mut app, Msg::BoardLoaded(Ok(data)));
    let text = screen(&app);
    assert!(text.contains("⏲ 2d 23h"), "{text}");
    assert!(text.contains("⏲ OVERDUE"), "{text}");
    assert!(text.contains("in 2d 23h · 04 Mar 11:00 UTC"), "{text}");
}

/// Item 4: The feed dates anything not from today and labels the zone.
#[test]
fn times_are_unambiguous() {
    let (mut app, _) = signed_in(seller(), (160, 48));
    let mut yesterday = feed_event(
        2003,
        21,
        "carol",
        "customer",
        "order.cancel_requested",
        "inprogress",
        "cancel_requested",
    );
    yesterday.entry.at = test_now() - Duration::hours(20);
    update(&mut app, Msg::Feed(vec![yesterday]));
    let text = screen(&app);
    assert!(text.contains("Live feed · UTC"), "{text}");
    assert!(text.contains("Feb 28 16:00"), "{text}");
}

/// Item 5: Labels shorten before a number is cut; the footer keeps help and quit at 80 columns.
#[test]
fn numbers_are_never_cut() {
    let (mut app, _) = signed_in(seller(), (160, 48));
    press(&mut app, [key(KeyCode::Char('c'))]);
    let text = screen(&app);
    assert!(text.contains("Corr. req. (0)"), "{text}");
    let (app, _) = signed_in(seller(), (80, 24));
    let text = screen(&app);
    let footer = text.lines().last().unwrap();
    assert!(
        footer.contains("? help") && footer.contains("q quit"),
        "{footer}"
    );
}

/// Item 6: The filter follows the keys from the third character on (a search's shortest),
/// with a match count; the selection lands on the first match; an answer for older text is
/// ignored; clearing keeps the selected order.
#[test]
fn filter_as_you_type() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    let mut msgs = vec![key(KeyCode::Char('/'))];
    msgs.extend(typed("zi"));
    assert!(
        press(&mut app, msgs).is_empty(),
        "two characters search nothing"
    );
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "a search needs at least 3 characters (or an order number)"
    );
    let effects = press(&mut app, typed("ne"));
    let loads = effects
        .iter()
        .filter(|e| matches!(e, Effect::LoadBoard { .. }))
        .count();
    assert_eq!(loads, 2, "one load per keystroke from the third");
    let mut stale = board_data();
    stale.text = Some("zin".into());
    update(&mut app, Msg::BoardLoaded(Ok(stale)));
    assert!(board(&app).loading, "an answer for older text is ignored");
    let mut data = board_data();
    data.text = Some("zine".into());
    for column in &mut data.columns {
        column.cards.retain(|c| c.title.contains("Zine"));
        column.count = column.cards.len() as i64;
    }
    update(&mut app, Msg::BoardLoaded(Ok(data)));
    assert_eq!(
        selected(&app),
        Some(31),
        "the selection lands on the first match"
    );
    assert!(screen(&app).contains("filter: zine · 1 match"));
}

/// Item 7: "#41" goes to any order: on another workflow's board, that board loads, the card is
/// selected and its folded column unfolds; search counts cover every workflow.
#[test]
fn go_to_any_order_by_id() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    let mut msgs = vec![key(KeyCode::Char('/'))];
    msgs.extend(typed("#77"));
    msgs.push(key(KeyCode::Enter));
    let effects = press(&mut app, msgs);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::GoToOrder { order_id: 77, .. })),
        "{effects:?}"
    );
    let mut elsewhere = card(77, "refunded", "Sticker pack", "carol", 10);
    elsewhere.workflow = "checkout".into();
    let effects = update(
        &mut app,
        Msg::OrderFound {
            order_id: 77,
            order: Some(elsewhere),
        },
    );
    assert!(
        matches!(effects.as_slice(), [Effect::LoadBoard { workflow: Some(w), .. }] if w == "checkout"),
        "{effects:?}"
    );
    let mut data = board_data();
    data.workflow = "checkout".into();
    data.columns.clear();
    update(&mut app, Msg::BoardLoaded(Ok(data)));
    assert_eq!(selected(&app), Some(77));
    assert!(
        board(&app).selection.show_terminal,
        "the finished column unfolds"
    );
    update(
        &mut app,
        Msg::MatchCounts {
            text: String::new(),
            counts: Ok(vec![("checkout".into(), 2)]),
        },
    );
}

/// Item 8: Quick filters combine and show in the header.
#[test]
fn quick_filters_combine() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    press(&mut app, [key(KeyCode::Char('L'))]);
    let effects = press(&mut app, [key(KeyCode::Char('d'))]);
    match effects.as_slice() {
        [Effect::LoadBoard { query, .. }] => assert!(query.due_before.is_some()),
        other => panic!("{other:?}"),
    }
    let quick = board(&app).filters.quick;
    assert!(quick.late && quick.disputes && !quick.mine);
    assert!(screen(&app).contains(" late + disputes "));
}

/// Item 9: Feed rows are selectable and Enter goes to the order; states read as labels.
#[test]
fn the_feed_is_navigable() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    update(
        &mut app,
        Msg::Feed(vec![feed_event(
            2004,
            12,
            "carol",
            "customer",
            "order.cancel_requested",
            "paid",
            "cancel_requested",
        )]),
    );
    press(&mut app, [key(KeyCode::Tab), key(KeyCode::Tab)]);
    assert_eq!(board(&app).selection.focus, Pane::Feed);
    // At the last line the feed reads further back, once.
    let effects = press(&mut app, [key(KeyCode::Down)]);
    assert_eq!(board(&app).feed.selected, 1);
    let oldest = board(&app).feed.events.back().unwrap().entry.id;
    assert!(
        matches!(effects.as_slice(), [Effect::LoadOlderFeed { before, .. }] if *before == oldest),
        "{effects:?}"
    );
    assert!(press(&mut app, [key(KeyCode::Down)]).is_empty());
    let older = feed_event(
        5,
        31,
        "dave",
        "customer",
        "order.accepted",
        "paid",
        "inprogress",
    );
    update(&mut app, Msg::OlderFeed(Ok(vec![older])));
    assert_eq!(board(&app).feed.events.len(), 3);
    assert!(board(&app).feed.exhausted, "a short page is the beginning");
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(
        matches!(effects.as_slice(), [Effect::GoToOrder { order_id: 21, .. }]),
        "{effects:?}"
    );
    assert!(screen(&app).contains("In progress→Cancel requested"));
}

/// Item 10: Scrolling stops at the content, and says where it is.
#[test]
fn scrolling_stops_at_the_content() {
    let (mut app, _) = signed_in(seller(), (80, 24));
    update(
        &mut app,
        Msg::DetailLoaded(Ok(detail_for(card(11, "paid", "Logo design", "carol", 48)))),
    );
    press(&mut app, [key(KeyCode::Tab), key(KeyCode::End)]);
    let end = board(&app).order_pane.scroll.offset;
    press(&mut app, [key(KeyCode::Down), key(KeyCode::Down)]);
    assert_eq!(
        board(&app).order_pane.scroll.offset,
        end,
        "no scrolling past the end"
    );
    press(
        &mut app,
        [
            key(KeyCode::Esc),
            key(KeyCode::Char('?')),
            key(KeyCode::End),
        ],
    );
    assert!(screen(&app).contains(" lines "), "help says where it is");
}

/// Item 11: Tabs in the order pane; the selected card keeps a mark when another pane has focus.
#[test]
fn the_order_pane_has_tabs() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    update(
        &mut app,
        Msg::DetailLoaded(Ok(detail_for(card(11, "paid", "Logo design", "carol", 48)))),
    );
    press(
        &mut app,
        [key(KeyCode::Tab), key(KeyCode::Right), key(KeyCode::Right)],
    );
    let text = screen(&app);
    assert!(text.contains("[ledger]"), "{text}");
    assert!(text.contains("returned 5.00 EUR"), "{text}");
    assert!(
        text.contains("▌#11 Logo design"),
        "the selection keeps its mark"
    );
    press(&mut app, [key(KeyCode::Right)]);
    assert!(screen(&app).contains("[effects]"));
}

/// Item 12: Two quick w move two workflows, W goes back; keys do nothing while the terminal is
/// too small; status messages expire.
#[test]
fn keys_are_never_lost_or_blind() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    let mut data = board_data();
    data.workflows = vec!["marketplace".into(), "checkout".into(), "fulfilment".into()];
    update(&mut app, Msg::BoardLoaded(Ok(data)));
    let effects = press(&mut app, [key(KeyCode::Char('w')), key(KeyCode::Char('w'))]);
    let targets: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::LoadBoard { workflow, .. } => workflow.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(targets, ["checkout", "fulfilment"]);
    let effects = press(&mut app, [key(KeyCode::Char('W'))]);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadBoard { workflow: Some(w), .. }] if w == "checkout")
    );

    update(&mut app, Msg::Resize(50, 10));
    assert!(press(&mut app, [key(KeyCode::Char('w')), key(KeyCode::Enter)]).is_empty());
    update(&mut app, Msg::Resize(120, 40));

    assert!(app.status.is_some());
    update(&mut app, Msg::Tick(test_now() + Duration::seconds(30)));
    assert!(app.status.is_none(), "status messages expire");
}

/// Item 14: The wheel scrolls the pane under the pointer; clicks focus panes and pick menu items.
#[test]
fn the_mouse_scrolls_what_is_under_it() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    update(
        &mut app,
        Msg::DetailLoaded(Ok(detail_for(card(11, "paid", "Logo design", "carol", 48)))),
    );
    let at = |kind, column, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: crossterm::event::KeyModifiers::NONE,
        })
    };
    // The order pane sits under the board, on the left.
    update(
        &mut app,
        at(
            MouseEventKind::Down(crossterm::event::MouseButton::Left),
            5,
            30,
        ),
    );
    assert_eq!(board(&app).selection.focus, Pane::Order);
    update(
        &mut app,
        at(
            MouseEventKind::Down(crossterm::event::MouseButton::Left),
            110,
            30,
        ),
    );
    assert_eq!(board(&app).selection.focus, Pane::Feed);
    // A click on the menu's second item picks it: reject needs a note.
    press(&mut app, [key(KeyCode::Esc), key(KeyCode::Enter)]);
    let row = (1..40)
        .find(|row| {
            screen(&app)
                .lines()
                .nth(*row as usize)
                .is_some_and(|l| l.contains("Reject order"))
        })
        .unwrap();
    update(
        &mut app,
        at(
            MouseEventKind::Down(crossterm::event::MouseButton::Left),
            30,
            row,
        ),
    );
    assert!(matches!(board(&app).overlay, Some(Overlay::Note(_))));
}

/// README's key table names every key the board's key map binds, so the two agree.
#[test]
fn the_readme_key_table_agrees_with_the_key_map() {
    use orderboard::tui::action::{Action, ActionSet};
    use orderboard::tui::keymap::KeyMap;
    let readme = include_str!("../../README.md");
    let table: String = readme
        .split("## The terminal UI")
        .nth(1)
        .and_then(|rest| rest.split("## ").next())
        .unwrap_or_default()
        .lines()
        .filter(|line| line.starts_with('|'))
        .collect();
    let keymap = KeyMap::default();
    for action in Action::ALL {
        for key in keymap.board.keys(*action) {
            let label = key.label();
            assert!(
                table.contains(&format!("`{label}`")),
                "README's key table does not name `{label}` ({action:?})"
            );
        }
    }
}

/// Item 8: a sorted column pages through the database in its sort, with nothing skipped or
/// repeated across pages, on both backends; cards placed live land in the same order.
#[tokio::test]
async fn columns_sort_by_due_date_age_or_amount() {
    use orderboard::domain::{OrderSort, Role};
    use orderboard::store::OrderQuery;
    for db in crate::db::both().await {
        let backoffice = db.backoffice().await;
        let (admin, ..) = crate::support::people(&backoffice).await;
        let mut made = Vec::new();
        for (index, (amount, due_days)) in [
            (500, Some(3)),
            (900, None),
            (500, Some(1)),
            (100, Some(3)),
            (700, None),
        ]
        .into_iter()
        .enumerate()
        {
            let mut draft = crate::support::draft("marketplace");
            draft.amount_cents = amount;
            draft.due_at = due_days.map(|d| test_now() + Duration::days(d));
            let at = test_now() + Duration::minutes(index as i64);
            made.push(backoffice.create_order(&admin, draft, at).await.unwrap());
        }
        let staff = orderboard::domain::Actor::new("ada", Role::Admin);
        for sort in OrderSort::ALL {
            let mut query = OrderQuery {
                workflow: Some("marketplace".into()),
                state: Some("paid".into()),
                sort,
                limit: 2,
                ..OrderQuery::default()
            };
            let mut paged = Vec::new();
            loop {
                let page = backoffice.list(&staff, &query).await.unwrap();
                let Some(last) = page.last() else { break };
                query.after_id = Some(last.id);
                query.after_key = sort.key(last);
                paged.extend(page);
            }
            let mut expected = paged.clone();
            expected.sort_by(|a, b| {
                if sort.before(a, b) {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Greater
                }
            });
            let ids: Vec<i64> = paged.iter().map(|o| o.id).collect();
            assert_eq!(ids.len(), made.len(), "{sort:?} on {}", db.backend);
            assert_eq!(
                ids,
                expected.iter().map(|o| o.id).collect::<Vec<_>>(),
                "{sort:?} on {}",
                db.backend
            );
        }
    }
}

/// Item 8: `s` cycles the sort, the board reloads in it and the header says so.
#[test]
fn s_sorts_the_columns() {
    use orderboard::domain::OrderSort;
    let (mut app, _) = signed_in(seller(), (160, 48));
    let effects = press(&mut app, [key(KeyCode::Char('s'))]);
    match effects.as_slice() {
        [Effect::LoadBoard { query, .. }] => assert_eq!(query.sort, OrderSort::Due),
        other => panic!("{other:?}"),
    }
    update(&mut app, Msg::BoardLoaded(Ok(board_data())));
    assert!(screen(&app).contains("· by due date"));
}
