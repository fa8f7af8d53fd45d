//! The screens the board opens over itself, each its own module: the state graph (`g`), the
//! history explorer (`H`); and "view as" (`A`), which reopens the board read-only as another
//! user. The board stays underneath, kept current by the feed.

use super::BoardScreen;
use crate::domain::Actor;
use crate::domain::access::Permission;
use crate::domain::text::display_safe;
use crate::tui::app::{Context, Status};
use crate::tui::explorer::{Explorer, ExplorerStep};
use crate::tui::graph_screen::GraphScreen;
use crate::tui::msg::{Effect, Msg, ScreenIo};
use crate::tui::overlays::{Overlay, UserPicker};
use crate::tui::view::DrawContext;

/// A screen drawn instead of the board while it is open.
pub enum Top {
    Graph(Box<GraphScreen>),
    Explorer(Box<Explorer>),
}

impl BoardScreen {
    /// The graph of the workflow on screen, from the selected order.
    pub(super) fn open_graph(&mut self, context: &mut Context) -> Vec<Effect> {
        let Some(workflow) = context.workflows.get(&self.workflow) else {
            *context.status = Status::info("no workflow on screen yet");
            return Vec::new();
        };
        let graph = GraphScreen::open(
            workflow,
            self.selected_order(),
            &self.actor,
            context.now,
            context.size,
        );
        self.top = Some(Top::Graph(Box::new(graph)));
        Vec::new()
    }

    /// The history explorer, for those who may see refused attempts.
    pub(super) fn open_explorer(&mut self, context: &mut Context) -> Vec<Effect> {
        if !Permission::SeeAttempts.allows(self.actor.role) {
            *context.status = Status::info("the history explorer is for support and admin");
            return Vec::new();
        }
        let (explorer, first_page) = Explorer::open(self.actor.clone());
        self.top = Some(Top::Explorer(Box::new(explorer)));
        vec![first_page]
    }

    /// `A`: an admin picks a user to view the board as; viewing already, back to their own.
    pub(super) fn view_as(&mut self, context: &mut Context) -> Vec<Effect> {
        if let Some(admin) = self.viewer.clone() {
            *context.status = Status::info("back to your own board");
            return self.reopen(admin, None, context);
        }
        if !Permission::ViewAs.allows(self.actor.role) {
            *context.status = Status::info(Permission::ViewAs.refusal());
            return Vec::new();
        }
        self.overlay = Some(Overlay::PickUser(UserPicker::default()));
        vec![Effect::Screen(ScreenIo::LoadUsers {
            actor: self.actor.clone(),
        })]
    }

    /// The board again from scratch as `actor` (read-only for `viewer` when given), on the
    /// same workflow; its feed replaces the one running, with that actor's visibility.
    pub(super) fn reopen(
        &mut self,
        actor: Actor,
        viewer: Option<Actor>,
        context: &mut Context,
    ) -> Vec<Effect> {
        let workflow = Some(self.workflow.clone()).filter(|w| !w.is_empty());
        let (mut board, _) = BoardScreen::open(actor, context);
        board.viewer = viewer;
        *self = board;
        vec![Effect::LoadBoard {
            actor: self.actor.clone(),
            workflow,
            query: self.query(context.now),
            with_recent: true,
        }]
    }

    /// Messages only the screens on top, or "view as", wait for.
    pub(super) fn on_screen_msg(&mut self, context: &mut Context, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::HistoryPage {
                filter,
                after,
                entries,
            } => match &mut self.top {
                Some(Top::Explorer(explorer)) => explorer.on_page(context, filter, after, entries),
                _ => Vec::new(),
            },
            Msg::UsersLoaded(result) => {
                if let Some(Overlay::PickUser(picker)) = &mut self.overlay {
                    picker.loaded(&self.actor.name, result);
                }
                Vec::new()
            }
            Msg::ViewAs(Ok(actor)) if self.viewer.is_none() => {
                *context.status = Status::info(format!(
                    "viewing as {} ({}), read-only: esc or A returns",
                    display_safe(&actor.name),
                    actor.role
                ));
                let admin = self.actor.clone();
                self.reopen(actor, Some(admin), context)
            }
            Msg::ViewAs(Err(error)) => {
                self.overlay = None;
                *context.status = Status::error(error);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// A key for the screen on top, if one is open (`None`: no screen took it).
    pub(super) fn on_top_key(
        &mut self,
        context: &mut Context,
        key: crossterm::event::KeyEvent,
    ) -> Option<Vec<Effect>> {
        let step = match self.top.as_mut()? {
            Top::Graph(graph) => {
                if graph.on_key(context.keymap, context.size, key) {
                    self.top = None;
                }
                return Some(Vec::new());
            }
            Top::Explorer(explorer) => explorer.on_key(context, key),
        };
        Some(match step {
            ExplorerStep::Stay(effects) => effects,
            ExplorerStep::Close => {
                self.top = None;
                Vec::new()
            }
            ExplorerStep::GoTo(order_id) => {
                // The board's own go-to-order path: found, it is placed and selected.
                self.top = None;
                vec![Effect::GoToOrder {
                    actor: self.actor.clone(),
                    order_id,
                }]
            }
        })
    }

    /// The screen on top, drawn instead of the board.
    pub(super) fn draw_top(
        &self,
        context: &DrawContext,
        area: ratatui::layout::Rect,
        buf: &mut ratatui::buffer::Buffer,
    ) -> bool {
        match &self.top {
            Some(Top::Graph(graph)) => {
                let workflow = context.workflows.get(&graph.workflow).map(|w| w.as_ref());
                graph.draw(context, workflow, area, buf);
                true
            }
            Some(Top::Explorer(explorer)) => {
                explorer.draw(context, area, buf);
                true
            }
            None => false,
        }
    }
}
