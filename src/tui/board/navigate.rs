//! Going to an order wherever it is: by id, from the feed, or to the first match of a search.

use super::{BoardScreen, Pane};
use crate::domain::Order;
use crate::store::OrderQuery;
use crate::tui::app::{Context, Status};
use crate::tui::msg::Effect;

impl BoardScreen {
    /// Goes to an order looked up by id: on this board it is placed and selected (its column
    /// unfolded); on another workflow's, that board loads first.
    pub(super) fn on_order_found(
        &mut self,
        context: &mut Context,
        order_id: i64,
        order: Option<Order>,
    ) -> Vec<Effect> {
        let Some(order) = order else {
            *context.status = Status::error(format!(
                "order {order_id} does not exist or is not visible to you"
            ));
            return Vec::new();
        };
        // Filters that would hide it give way: the order is what was asked for.
        let shown = context
            .workflows
            .get(&order.workflow)
            .is_some_and(|workflow| {
                let mut here = order.clone();
                here.workflow = self.workflow.clone();
                self.admits(&here, workflow, context.now, None)
                    && self.filters.quick.shows_state(workflow, &order.state)
            });
        if !shown {
            self.filters.text.clear();
            self.filters.quick = Default::default();
            *context.status = Status::info(format!("filters cleared to show #{order_id}"));
        }
        if shown && order.workflow == self.workflow {
            self.show_order(order, context.size);
            return self.load_detail();
        }
        self.sync.goto = Some(order.clone());
        self.switching_to = Some(order.workflow.clone());
        self.loading = true;
        vec![Effect::LoadBoard {
            actor: self.actor.clone(),
            workflow: Some(order.workflow),
            query: OrderQuery {
                workflow: None,
                ..self.query(context.now)
            },
            with_recent: false,
        }]
    }

    /// Places the order's card (even beyond the loaded page), unfolds its column, selects it.
    pub(super) fn show_order(&mut self, order: Order, size: (u16, u16)) {
        let id = order.id;
        self.remove_card(id);
        if let Some(index) = self.column_index(&order.state) {
            let column = &mut self.columns[index];
            let sort = self.filters.sort;
            let position = column.cards.partition_point(|c| sort.before(c, &order));
            column.cards.insert(position, order);
            if column.terminal {
                self.selection.show_terminal = true;
            }
        }
        self.select_order(id);
        self.selection.focus = Pane::Board;
        self.clamp_selection();
        self.keep_selection_visible(size);
    }

    /// After a search, the selection lands on the first match; matches only in folded
    /// finished columns unfold them.
    pub(super) fn select_first_match(&mut self, context: &mut Context) {
        let first = |board: &BoardScreen| {
            board
                .visible_columns()
                .into_iter()
                .find(|i| !board.columns[*i].cards.is_empty())
        };
        if first(self).is_none()
            && self
                .columns
                .iter()
                .any(|c| c.terminal && !c.cards.is_empty())
        {
            self.selection.show_terminal = true;
            *context.status = Status::info("the matches are in finished columns: unfolded");
        }
        if let Some(index) = first(self) {
            self.selection.column = index;
            self.columns[index].selected = 0;
        }
        self.keep_selection_visible(context.size);
    }
}
