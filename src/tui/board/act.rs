//! Acting on an order from the board: the menu of what this user may do, then the note,
//! the confirmation, and the change itself (a transition, or a hand retry or resolution of a
//! failed effect), each carried out from what the overlay returned.

use tui_input::Input;

use super::BoardScreen;
use crate::domain::access::Permission;
use crate::domain::text::display_safe;
use crate::domain::{Order, OrderId};
use crate::tui::app::{Context, Status};
use crate::tui::msg::{Effect, ScreenIo, Settlement};
use crate::tui::overlays::{
    Choice, Confirmation, EffectPick, Menu, NoteForm, Outcome, Overlay, Pick, PromptFor,
    consequences,
};
use crate::workflow::{BlockReason, Effect as WorkflowEffect};

impl BoardScreen {
    /// The transitions menu for the selected order.
    pub(super) fn open_menu(&mut self, context: &mut Context) -> Vec<Effect> {
        let Some(order) = self.selected_order().cloned() else {
            *context.status = Status::info("no order selected");
            return Vec::new();
        };
        self.open_menu_for(context, &order);
        Vec::new()
    }

    /// The transitions menu for an order, on the board or not (a reloaded order after a
    /// lost race may have left the filtered view), with the target states by their labels.
    pub(super) fn open_menu_for(&mut self, context: &mut Context, order: &Order) {
        let Some(workflow) = context.workflows.get(&order.workflow) else {
            *context.status =
                Status::error(format!("workflow \"{}\" is not loaded", order.workflow));
            return;
        };
        if workflow.state(&order.state).is_none() {
            *context.status = Status::error(format!(
                "order #{} is in state \"{}\", which workflow \"{}\" no longer has",
                order.id, order.state, workflow.name
            ));
            return;
        }
        let menu = workflow.available_transitions(order, &self.actor, context.now);
        let (blocked, other_states): (Vec<_>, Vec<_>) = menu
            .blocked
            .into_iter()
            .partition(|b| !matches!(b.reason, BlockReason::WrongState { .. }));
        self.overlay = Some(Overlay::Menu(Menu {
            workflow: order.workflow.clone(),
            order_id: order.id,
            version: order.version,
            title: format!(
                "#{} {} · {}",
                order.id,
                display_safe(&order.title),
                workflow.state_label(&order.state)
            ),
            available: menu
                .available
                .into_iter()
                .map(Pick::Transition)
                .chain(self.effect_picks(order))
                .collect(),
            blocked,
            other_states: other_states.len(),
            selected: 0,
            notice: None,
            read_only: self.viewer.is_some(),
        }));
    }

    /// Carries out what a key did in an overlay: a chosen transition asks for its note, then
    /// its confirmation, then is applied.
    pub(super) fn carry_out(&mut self, context: &mut Context, outcome: Outcome) -> Vec<Effect> {
        match outcome {
            Outcome::Chosen(_) | Outcome::Noted(..) | Outcome::Confirmed(..)
                if self.viewer.is_some() =>
            {
                *context.status = Status::error(format!(
                    "read-only: viewing as {}, nothing can be applied",
                    display_safe(&self.actor.name)
                ));
                Vec::new()
            }
            Outcome::ViewAs(name) => vec![Effect::Screen(ScreenIo::ViewAs {
                actor: self.actor.clone(),
                name,
            })],
            Outcome::Stay => Vec::new(),
            Outcome::Close => {
                // A note written for a confirmation turned down is offered again next time.
                if let Some(Overlay::Confirm(confirm)) = &self.overlay
                    && let Some(note) = &confirm.note
                {
                    self.sync.kept_note = Some((confirm.choice.order_id, note.clone()));
                }
                self.overlay = None;
                Vec::new()
            }
            Outcome::Chosen(choice) if choice.pick.note_required() => {
                let mut form = NoteForm::new(choice);
                // A note typed before a lost race is offered again.
                if let Some((_, note)) = self
                    .sync
                    .kept_note
                    .take_if(|(order_id, _)| *order_id == form.choice.order_id)
                {
                    form.input = Input::new(note);
                }
                self.overlay = Some(Overlay::Note(form));
                Vec::new()
            }
            Outcome::Chosen(choice) => self.confirm_or_apply(context, choice, None),
            Outcome::Noted(choice, note) => self.confirm_or_apply(context, choice, Some(note)),
            Outcome::Confirmed(choice, note) => {
                if let Some(Overlay::Confirm(confirm)) = &mut self.overlay {
                    confirm.busy = true;
                }
                self.apply(choice, note)
            }
            Outcome::Bulk(choice) => self.carry_out_bulk(choice),
            Outcome::Run(command) => self.run_command(context, command),
            Outcome::Prompted {
                purpose: PromptFor::Export { state },
                text,
                overwrite,
            } => self.export_to(context, state, text, overwrite),
            Outcome::Prompted {
                purpose: PromptFor::ViewName,
                text,
                ..
            } => self.save_view(context, text),
        }
    }

    fn confirm_or_apply(
        &mut self,
        context: &mut Context,
        choice: Choice,
        note: Option<String>,
    ) -> Vec<Effect> {
        if choice.pick.needs_confirmation() {
            let (effects, consequences, to_label) = self.what_it_does(context, &choice);
            self.overlay = Some(Overlay::Confirm(Confirmation {
                choice,
                to_label,
                note,
                effects,
                consequences,
                busy: false,
            }));
            return Vec::new();
        }
        match &mut self.overlay {
            Some(Overlay::Note(form)) => form.busy = true,
            Some(Overlay::Menu(_)) => self.overlay = None,
            _ => {}
        }
        self.apply(choice, note)
    }

    /// The hand retries and resolutions support and admin may pick for the order's effects
    /// that failed or found no sink (as the order pane last loaded them).
    fn effect_picks(&self, order: &Order) -> Vec<Pick> {
        if !Permission::ManageEffects.allows(self.actor.role) {
            return Vec::new();
        }
        let Some(detail) = self
            .order_pane
            .detail
            .as_ref()
            .filter(|d| d.view.order.id == order.id)
        else {
            return Vec::new();
        };
        let mut picks = Vec::new();
        for effect in detail
            .view
            .effects
            .iter()
            .filter(|e| e.status().needs_attention())
        {
            let moves_money = effect
                .payload
                .parse::<WorkflowEffect>()
                .is_ok_and(|e| e.moves_money());
            for resolve in [false, true] {
                picks.push(Pick::Effect(EffectPick {
                    effect_id: effect.id,
                    effect: effect.payload.clone(),
                    status: effect.status.clone(),
                    resolve,
                    moves_money,
                }));
            }
        }
        picks
    }

    /// For the confirmation: the effects a choice records (as the workflow writes them), what
    /// they do to this order in words and numbers, and where the order goes.
    fn what_it_does(
        &self,
        context: &Context,
        choice: &Choice,
    ) -> (Vec<String>, Vec<String>, String) {
        let Some(order) = self.find_order(choice.order_id) else {
            return (Vec::new(), Vec::new(), String::new());
        };
        let transition = match &choice.pick {
            Pick::Transition(transition) => transition,
            Pick::Effect(pick) => {
                let again = pick
                    .effect
                    .parse::<WorkflowEffect>()
                    .map(|effect| consequences(&[effect], order, None))
                    .unwrap_or_default();
                let mut lines = vec![format!(
                    "The sink is asked again to carry out {}:",
                    display_safe(&pick.effect)
                )];
                lines.extend(again);
                let state = display_safe(&order.state).into_owned();
                return (vec![pick.effect.clone()], lines, state);
            }
        };
        let Some(workflow) = context.workflows.get(&order.workflow) else {
            return (Vec::new(), Vec::new(), transition.to.clone());
        };
        let to_label = workflow.state_label(&transition.to).to_string();
        let Ok(decision) = workflow.decide(
            order,
            &self.actor,
            &transition.event,
            Some("-"),
            context.now,
        ) else {
            return (Vec::new(), Vec::new(), to_label);
        };
        let ends = workflow
            .is_terminal(&decision.to)
            .then(|| workflow.state_label(&decision.to));
        let written = decision.effects.iter().map(|e| e.to_string()).collect();
        (
            written,
            consequences(&decision.effects, order, ends),
            to_label,
        )
    }

    fn apply(&mut self, choice: Choice, note: Option<String>) -> Vec<Effect> {
        // Viewing as someone else never changes anything, whatever led here.
        if self.viewer.is_some() {
            return Vec::new();
        }
        self.sync.change_sent = true;
        let effect = match choice.pick {
            Pick::Transition(transition) => Effect::Apply {
                actor: self.actor.clone(),
                order_id: choice.order_id,
                event: transition.event,
                note,
                version: choice.version,
            },
            Pick::Effect(pick) => Effect::SettleEffect(Settlement {
                actor: self.actor.clone(),
                order_id: choice.order_id,
                effect_id: pick.effect_id,
                resolve: pick.resolve,
                note,
            }),
        };
        vec![effect]
    }

    /// A hand retry or resolution came back: say so, and reload the order's effects (they
    /// changed without a new order version).
    pub(super) fn on_effect_settled(
        &mut self,
        context: &mut Context,
        order_id: OrderId,
        result: Result<String, String>,
    ) -> Vec<Effect> {
        self.sync.change_sent = false;
        self.overlay = None;
        *context.status = match result {
            Ok(done) => Status::info(done),
            Err(error) => Status::error(error),
        };
        let selected = self.selected_order().map(|o| (o.id, o.version));
        if selected.is_some_and(|(id, _)| id == order_id) {
            self.order_pane.detail = None;
            return self
                .order_pane
                .load_for(&self.actor, selected)
                .into_iter()
                .collect();
        }
        Vec::new()
    }
}
