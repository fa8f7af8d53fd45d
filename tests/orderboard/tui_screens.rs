//! The screens the board opens (issue 13): the state graph (`g`), the history explorer
//! (`H`) and "view as" (`A`), driven through the pure update step.

use crossterm::event::KeyCode;
use orderboard::domain::{Actor, Role};
use orderboard::store::ExplorerFilter;
use orderboard::tui::app::{App, BoardScreen, Overlay, update};
use orderboard::tui::board::Top;
use orderboard::tui::graph_screen::{EdgeStatus, GraphScreen};
use orderboard::tui::msg::{Effect, Msg, ScreenIo};

use crate::tui_fixtures::{
    admin_viewing_as_sam, board_data, explorer_page, key, press, screen_text, seller, signed_in,
    typed, users,
};

fn board(app: &App) -> &BoardScreen {
    app.board().expect("on the board")
}

fn graph(app: &App) -> &GraphScreen {
    match &board(app).top {
        Some(Top::Graph(graph)) => graph,
        _ => panic!("the graph is not open"),
    }
}

fn edge(graph: &GraphScreen, event: &str) -> usize {
    graph
        .layout
        .edges
        .iter()
        .position(|e| e.event == event)
        .expect("an edge of the event")
}

#[test]
fn g_opens_the_graph_on_the_orders_state_and_esc_closes_it() {
    let (mut app, _) = signed_in(seller(), (80, 24));
    assert!(press(&mut app, [key(KeyCode::Char('g'))]).is_empty());
    let graph = graph(&app);
    let current = graph.current.expect("order 11's state has a box");
    assert_eq!(graph.layout.nodes[current].state, "paid");
    // The edges out of Paid that sam may take are lit, force-cancel is blocked.
    assert_eq!(
        graph.status(edge(graph, "order.accepted")),
        EdgeStatus::Open
    );
    assert_eq!(
        graph.status(edge(graph, "order.rejected")),
        EdgeStatus::Open
    );
    assert_eq!(
        graph.status(edge(graph, "order.force_cancelled")),
        EdgeStatus::Blocked("only admin may do this".into())
    );
    assert_eq!(
        graph.status(edge(graph, "order.delivered")),
        EdgeStatus::Elsewhere
    );
    assert!(screen_text(&app).contains("State graph · Marketplace · #11 Logo design in Paid"));
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(board(&app).top.is_none());
    press(&mut app, [key(KeyCode::Char('g')), key(KeyCode::Char('q'))]);
    assert!(board(&app).top.is_none());
}

#[test]
fn the_graph_pans_within_the_drawing_and_walks_the_outgoing_edges() {
    let (mut app, _) = signed_in(seller(), (80, 24));
    press(&mut app, [key(KeyCode::Char('g'))]);
    let start = graph(&app).scroll;
    press(&mut app, [key(KeyCode::Right), key(KeyCode::Char('j'))]);
    assert_eq!(graph(&app).scroll, (start.0 + 8, start.1 + 2));
    press(&mut app, [key(KeyCode::Left), key(KeyCode::Char('k'))]);
    assert_eq!(graph(&app).scroll, start);
    // Panning stops at the drawing's edge.
    press(&mut app, (0..60).map(|_| key(KeyCode::Right)));
    let width = graph(&app).layout.width;
    assert_eq!(graph(&app).scroll.0, width - 80);
    // tab walks the three edges out of Paid, starting on the first open one, and wraps.
    let walked: Vec<String> = (0..4)
        .map(|_| {
            press(&mut app, [key(KeyCode::Tab)]);
            let g = graph(&app);
            g.layout.edges[g.selected.unwrap()].event.clone()
        })
        .collect();
    assert_eq!(walked[3], walked[0]);
    assert_eq!(graph(&app).walk.len(), 3);
    press(&mut app, [key(KeyCode::BackTab)]);
    let g = graph(&app);
    assert_eq!(g.layout.edges[g.selected.unwrap()].event, walked[2]);
    let text = screen_text(&app);
    assert!(text.contains("who may take it:"), "{text}");
}

#[test]
fn the_explorer_is_for_support_and_admin() {
    let (mut app, _) = signed_in(seller(), (80, 24));
    assert!(press(&mut app, [key(KeyCode::Char('H'))]).is_empty());
    assert!(board(&app).top.is_none());
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "the history explorer is for support and admin"
    );
}

fn support_in_explorer() -> (App, Vec<Effect>) {
    let (mut app, _) = signed_in(Actor::new("sue", Role::Support), (80, 24));
    let effects = press(&mut app, [key(KeyCode::Char('H'))]);
    (app, effects)
}

#[test]
fn the_explorer_pages_as_the_selection_nears_the_end_and_enter_goes_to_the_order() {
    let (mut app, effects) = support_in_explorer();
    match effects.as_slice() {
        [Effect::Screen(ScreenIo::ExploreHistory { filter, after, .. })] => {
            assert_eq!(*filter, ExplorerFilter::default());
            assert!(after.is_none());
        }
        other => panic!("{other:?}"),
    }
    let page = explorer_page(500, 100);
    let cursor = page.last().unwrap().cursor();
    let more = update(
        &mut app,
        Msg::HistoryPage {
            filter: ExplorerFilter::default(),
            after: None,
            entries: Ok(page),
        },
    );
    assert!(more.is_empty(), "far from the end: {more:?}");
    // A page down at a time: near the end, the next page after the last entry.
    let effects = press(&mut app, (0..5).map(|_| key(KeyCode::PageDown)));
    match effects.as_slice() {
        [Effect::Screen(ScreenIo::ExploreHistory { after, .. })] => {
            assert_eq!(*after, Some(cursor))
        }
        other => panic!("{other:?}"),
    }
    // Asked once: more keys do not ask again while it loads.
    assert!(press(&mut app, [key(KeyCode::Down)]).is_empty());
    // A stale page (another cursor) changes nothing; the asked one is appended.
    let stale = Msg::HistoryPage {
        filter: ExplorerFilter::default(),
        after: None,
        entries: Ok(explorer_page(900, 3)),
    };
    update(&mut app, stale);
    update(
        &mut app,
        Msg::HistoryPage {
            filter: ExplorerFilter::default(),
            after: Some(cursor),
            entries: Ok(explorer_page(400, 7)),
        },
    );
    let Some(Top::Explorer(explorer)) = &board(&app).top else {
        panic!("the explorer is open")
    };
    assert_eq!(explorer.entries.len(), 107);
    assert!(explorer.exhausted);
    let order_id = explorer.entries[explorer.selected].order_id;
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    match effects.as_slice() {
        [Effect::GoToOrder { order_id: id, .. }] => assert_eq!(*id, order_id),
        other => panic!("{other:?}"),
    }
    assert!(board(&app).top.is_none(), "back on the board");
}

#[test]
fn the_explorer_filter_is_parsed_strictly() {
    let (mut app, _) = support_in_explorer();
    let mut msgs = vec![key(KeyCode::Char('/'))];
    msgs.extend(typed("who:sue"));
    msgs.push(key(KeyCode::Enter));
    assert!(press(&mut app, msgs).is_empty());
    let Some(Top::Explorer(explorer)) = &board(&app).top else {
        panic!("the explorer is open")
    };
    assert_eq!(
        explorer.error.as_deref(),
        Some(
            "unknown filter \"who\": use actor:, role:, event:, state:, workflow:, since: or until:"
        )
    );
    assert!(explorer.input.is_some(), "the box stays open to fix it");
    // Fixed: a fresh first page under the filter.
    let mut msgs: Vec<Msg> = (0..7).map(|_| key(KeyCode::Backspace)).collect();
    msgs.extend(typed("actor:sue role:support"));
    msgs.push(key(KeyCode::Enter));
    match press(&mut app, msgs).as_slice() {
        [Effect::Screen(ScreenIo::ExploreHistory { filter, after, .. })] => {
            assert_eq!(filter.actor.as_deref(), Some("sue"));
            assert_eq!(filter.role.as_deref(), Some("support"));
            assert!(after.is_none());
        }
        other => panic!("{other:?}"),
    }
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(board(&app).top.is_none());
}

#[test]
fn view_as_is_for_admins() {
    let (mut app, _) = signed_in(seller(), (80, 24));
    assert!(press(&mut app, [key(KeyCode::Char('A'))]).is_empty());
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "only an admin may view the board as another user"
    );
}

#[test]
fn an_admin_picks_a_user_and_sees_their_board_read_only() {
    let (mut app, _) = signed_in(Actor::new("ada", Role::Admin), (120, 40));
    let effects = press(&mut app, [key(KeyCode::Char('A'))]);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Screen(ScreenIo::LoadUsers { .. })]
        ),
        "{effects:?}"
    );
    update(&mut app, Msg::UsersLoaded(Ok(users())));
    let Some(Overlay::PickUser(picker)) = &board(&app).overlay else {
        panic!("the picker is open")
    };
    let Some(Ok(listed)) = &picker.users else {
        panic!("users listed")
    };
    let names: Vec<&str> = listed.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["sam", "sue"], "not herself, not the disabled");
    let (mut app, effects) = admin_viewing_as_sam((120, 40));
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Screen(ScreenIo::ViewAs { actor, name }) if actor.name == "ada" && name == "sam")
        ),
        "{effects:?}"
    );
    // The board loads and follows the feed as sam sees it.
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadBoard { actor, .. } if *actor == seller()))
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::StartFeed { actor, .. } if *actor == seller()))
    );
    assert_eq!(
        board(&app).viewer.as_ref().map(|a| a.name.as_str()),
        Some("ada")
    );
    assert!(screen_text(&app).contains("viewing as sam (seller) · read-only"));
    // The account check is about ada, who signed in.
    let checks = update(&mut app, Msg::Tick(crate::support::test_now()));
    assert!(
        checks
            .iter()
            .any(|e| matches!(e, Effect::CheckAccount { actor } if actor.name == "ada"))
    );

    // sam's transitions are in the menu, greyed; choosing one applies nothing.
    press(&mut app, [key(KeyCode::Enter)]);
    let Some(Overlay::Menu(menu)) = &board(&app).overlay else {
        panic!("the menu is open")
    };
    assert!(menu.read_only);
    assert!(!menu.available.is_empty());
    let effects = press(&mut app, [key(KeyCode::Enter), key(KeyCode::Char('y'))]);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Apply { .. } | Effect::SettleEffect(_))),
        "{effects:?}"
    );
    assert_eq!(
        app.status.as_ref().unwrap().text,
        "read-only: viewing as sam, nothing can be applied"
    );
    // The second item (reject) needs a note: refused before the note box, too.
    press(&mut app, [key(KeyCode::Down), key(KeyCode::Enter)]);
    assert!(matches!(board(&app).overlay, Some(Overlay::Menu(_))));

    // A again: back to ada's own board.
    press(&mut app, [key(KeyCode::Esc)]);
    let effects = press(&mut app, [key(KeyCode::Char('A'))]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadBoard { actor, .. } if actor.name == "ada"))
    );
    assert!(board(&app).viewer.is_none());
    update(&mut app, Msg::BoardLoaded(Ok(board_data())));
    assert!(!screen_text(&app).contains("viewing as"));
}

#[test]
fn esc_returns_from_view_as() {
    let (mut app, _) = admin_viewing_as_sam((120, 40));
    let effects = press(&mut app, [key(KeyCode::Esc)]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadBoard { actor, .. } if actor.name == "ada"))
    );
    assert_eq!(board(&app).actor.name, "ada");
    assert!(board(&app).viewer.is_none());
}

/// The service builds the viewed user's actor for an admin only, on both databases.
#[tokio::test]
async fn only_an_admin_gets_another_users_actor_to_view_as() {
    use orderboard::service::ErrorKind;
    for db in crate::db::both().await {
        let backoffice = db.backoffice().await;
        let (admin, sam, _, sue) = crate::support::people(&backoffice).await;
        // sam as ada sees him: read-only.
        let viewed = backoffice.actor_to_view_as(&admin, "sam").await.unwrap();
        assert_eq!(
            (viewed.name.as_str(), viewed.role),
            (sam.name.as_str(), sam.role)
        );
        assert_eq!(viewed.viewed_by.as_deref(), Some("ada"));
        let refused = backoffice.actor_to_view_as(&sue, "sam").await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::NotPermitted, "{}", db.backend);
        assert_eq!(
            refused.to_string(),
            "only an admin may view the board as another user"
        );
        let missing = backoffice.actor_to_view_as(&admin, "nobody").await;
        assert_eq!(missing.unwrap_err().kind(), ErrorKind::BadInput);
        backoffice.disable_user(&admin, "zoe").await.unwrap();
        let disabled = backoffice
            .actor_to_view_as(&admin, "zoe")
            .await
            .unwrap_err();
        assert_eq!(disabled.to_string(), "zoe is disabled and sees nothing");
    }
}
