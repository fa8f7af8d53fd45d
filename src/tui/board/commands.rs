//! The command palette's commands carried out on the board, and saved views: applying one,
//! and saving the board as one to the config file.

use std::path::PathBuf;

use super::{BoardScreen, Filters};
use crate::config::ViewConfig;
use crate::domain::text::display_safe;
use crate::tui::app::{Context, Status};
use crate::tui::msg::Effect;
use crate::tui::overlays::{Command, Overlay, Palette, Prompt, PromptFor, Targets, commands};

impl BoardScreen {
    /// Opens the palette on every command this user has: the actions, the workflows they
    /// may switch to, the sorts, the views offered to their role, the themes.
    pub(super) fn open_palette(&mut self, context: &Context) -> Vec<Effect> {
        let workflows = self
            .workflow_names
            .iter()
            .map(|name| {
                let label = context
                    .workflows
                    .get(name)
                    .map_or_else(|| name.clone(), |w| w.label.clone());
                (name.clone(), label)
            })
            .collect();
        let views = context
            .views
            .iter()
            .filter(|view| view.offered_to(self.actor.role))
            .map(|view| view.name.clone())
            .collect();
        let role = self.actor.role;
        let items = commands(
            context.keymap,
            Targets {
                workflows,
                views,
                role,
            },
        );
        self.overlay = Some(Overlay::Palette(Palette::new(items)));
        Vec::new()
    }

    /// Runs a palette row: an action exactly as its key, or one of the targets.
    pub(super) fn run_command(&mut self, context: &mut Context, command: Command) -> Vec<Effect> {
        self.overlay = None;
        match command {
            Command::Action(action) => self.on_action(context, action),
            Command::GoToOrder(order_id) => vec![Effect::GoToOrder {
                actor: self.actor.clone(),
                order_id,
            }],
            Command::Workflow(name) if name == self.workflow => Vec::new(),
            Command::Workflow(name) => self.load_workflow(context, name),
            Command::Sort(sort) => self.sort_by(context, sort),
            Command::View(name) => {
                let found = context.views.iter().find(|v| v.name == name).cloned();
                match found {
                    Some(view) => self.apply_view(context, &view),
                    None => {
                        *context.status = Status::error(format!("no view named \"{name}\""));
                        Vec::new()
                    }
                }
            }
            Command::Theme(theme) => {
                *context.status = Status::info(format!("theme: {}", theme.label()));
                vec![Effect::SetTheme(theme)]
            }
        }
    }

    /// Shows a saved view: its filters and sort, on its workflow (or the one on screen).
    pub(super) fn apply_view(&mut self, context: &mut Context, view: &ViewConfig) -> Vec<Effect> {
        if let Some(workflow) = &view.workflow
            && context.workflows.get(workflow).is_none()
        {
            *context.status = Status::error(format!(
                "view \"{}\" names workflow \"{workflow}\", which is not loaded",
                view.name
            ));
            return Vec::new();
        }
        self.filters = Filters::of_view(view);
        *context.status = Status::info(format!("view: {}", display_safe(&view.name)));
        self.loading = true;
        let mut effects = match &view.workflow {
            Some(workflow) if *workflow != self.workflow => {
                self.load_workflow(context, workflow.clone())
            }
            _ => vec![self.reload(context.now)],
        };
        if !self.filters.text.is_empty() {
            effects.push(Effect::CountMatches {
                actor: self.actor.clone(),
                text: self.filters.text.clone(),
            });
        }
        effects
    }

    /// Asks for the name to save the board's view under.
    pub(super) fn open_save_view(&mut self) -> Vec<Effect> {
        self.overlay = Some(Overlay::Prompt(Prompt::new(
            PromptFor::ViewName,
            " Save this view ".into(),
            "Name (workflow, filter, quick filters and sort are saved):",
            String::new(),
        )));
        Vec::new()
    }

    /// The board as a view named `name`, to append to the config file.
    pub(super) fn save_view(&mut self, context: &mut Context, name: String) -> Vec<Effect> {
        let problem = ViewConfig::name_problem(&name).or_else(|| {
            context
                .config_path
                .is_none()
                .then(|| "no config file to save the view in".to_string())
        });
        let Some(Overlay::Prompt(prompt)) = &mut self.overlay else {
            return Vec::new();
        };
        if let Some(problem) = problem {
            prompt.error = Some(problem);
            return Vec::new();
        }
        prompt.busy = true;
        let view = ViewConfig {
            name,
            workflow: Some(self.workflow.clone()),
            filter: self.filters.text.clone(),
            quick: self.filters.quick.to_view(),
            sort: Some(self.filters.sort),
            roles: Vec::new(),
        };
        let path = context.config_path.map(PathBuf::from).unwrap_or_default();
        vec![Effect::SaveView { path, view }]
    }

    /// A view was saved (the palette offers it from now on), or why not.
    pub(super) fn on_view_saved(
        &mut self,
        context: &mut Context,
        result: Result<(ViewConfig, PathBuf), String>,
    ) -> Vec<Effect> {
        let prompt = match &mut self.overlay {
            Some(Overlay::Prompt(prompt)) if prompt.purpose == PromptFor::ViewName => Some(prompt),
            _ => None,
        };
        match result {
            Ok((view, path)) => {
                if prompt.is_some() {
                    self.overlay = None;
                }
                *context.status = Status::info(format!(
                    "saved view \"{}\" to {}",
                    display_safe(&view.name),
                    display_safe(&path.display().to_string())
                ));
                crate::tui::views::put(context.views, view);
            }
            Err(error) => {
                if let Some(prompt) = prompt {
                    prompt.busy = false;
                    prompt.error = Some(error.clone());
                }
                *context.status = Status::error(error);
            }
        }
        Vec::new()
    }
}
