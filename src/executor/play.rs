//! Running plays: host selection, facts, vars_files, the linear task loop, handlers.

use std::collections::HashSet;
use std::sync::Arc;

use futures::stream::{self, StreamExt};

use super::batches::{ordered_hosts, serial_batches};
use super::connect::{become_for, connect_spec, Passwords, Reach};
use super::connections::ConnectionPool;
use super::handlers::{matching_handlers, HandlerKeys, Notified};
use super::hoststate::HostStates;
use super::results::{is_changed, register_value, truthy};
use super::runonce::{RunOnce, SharedResult};
use super::task::{HostOutcome, ItemLine, TaskRunner};
use super::varsfiles;
use super::RunError;
use crate::cli::{PlaybookOptions, RunOptions};
use crate::connection::interrupt;
use crate::inventory::Inventory;
use crate::output::censor::NO_LOG_KEY;
use crate::output::{Event, Output, Status};
use crate::playbook::list::{task_selected, TagFilter};
use crate::playbook::{Play, Playbook, Task};
use crate::template::{Dialect, Templar};
use crate::value::{Map, Value};
use crate::vars::VarStore;

/// Everything one run shares across plays.
pub struct Runner {
    pub(crate) opts: RunOptions,
    pub(crate) pb: PlaybookOptions,
    pub(crate) dialect: Dialect,
    pub(crate) inventory: Inventory,
    pub(crate) store: VarStore,
    pub(crate) templar: Templar,
    pub(crate) pool: ConnectionPool,
    pub(crate) output: Output,
    pub(crate) states: HostStates,
    pub(crate) passwords: Passwords,
    gathered: HashSet<String>,
    started: bool,
    tag_filter: TagFilter,
    /// Static `vars_files` of each play (pass 1), by play position.
    pub(crate) static_vars: std::collections::HashMap<*const Play, Map>,
    pub(crate) adhoc: bool,
    /// `-e` variables (highest precedence; also used for play-level names).
    pub(crate) extra_vars: Map,
    /// The hosts of the play being run (`play_hosts`).
    pub(crate) play_hosts: Vec<String>,
    /// The directory of the playbook being run (`playbook_dir`).
    pub(crate) playbook_dir: Option<std::path::PathBuf>,
    /// Per host, the variables last registered by a `no_log` task (a `debug` naming one is
    /// censored too).
    pub(crate) no_log_registered: std::collections::HashMap<String, HashSet<String>>,
    /// Per host, its last failed task and that task's result (modern `ansible_failed_task` /
    /// `ansible_failed_result` in `rescue`).
    last_failure: std::collections::HashMap<String, (Value, Value)>,
    /// Every host of the play being run, failed ones too (`ansible_play_hosts_all`, modern).
    pub(crate) play_hosts_all: Vec<String>,
    /// The hosts of the current `serial` batch (`ansible_play_batch`, modern).
    pub(crate) play_batch: Vec<String>,
}

/// How a play ended.
pub(crate) enum PlayEnd {
    Done,
    /// Every host failed: the run stops.
    Abort,
}

impl Runner {
    /// A runner for one `flock playbook` / `flock adhoc` invocation.
    pub fn new(
        opts: RunOptions,
        pb: PlaybookOptions,
        dialect: Dialect,
        inventory: Inventory,
        store: VarStore,
        extra_vars: Map,
        passwords: Passwords,
    ) -> Self {
        let output = Output::stdout(dialect, opts.verbose);
        let join = |v: &[String]| (!v.is_empty()).then(|| v.join(","));
        let tag_filter = TagFilter::new(
            join(&opts.tags).as_deref(),
            join(&opts.skip_tags).as_deref(),
        );
        Self {
            tag_filter,
            static_vars: std::collections::HashMap::new(),
            started: pb.start_at_task.is_none(),
            opts,
            pb,
            dialect,
            inventory,
            store,
            templar: Templar::new(),
            pool: ConnectionPool::new(),
            output,
            states: HostStates::new(),
            passwords,
            gathered: HashSet::new(),
            adhoc: false,
            extra_vars,
            play_hosts: Vec::new(),
            playbook_dir: None,
            no_log_registered: std::collections::HashMap::new(),
            last_failure: std::collections::HashMap::new(),
            play_hosts_all: Vec::new(),
            play_batch: Vec::new(),
        }
    }

    /// Checks the playbook before anything runs: unknown `--tags` and static `vars_files` (pass 1)
    /// of every play, so bad input stops the run before any host is touched.
    pub fn prepare(&mut self, playbook: &Playbook) -> Result<(), RunError> {
        if self.dialect == Dialect::Legacy12 {
            crate::playbook::list::check_tags(playbook, &self.tag_filter).map_err(RunError::Msg)?;
        }
        for play in &playbook.plays {
            self.check_play_pattern(play)?;
            let vars = varsfiles::static_pass(self, play)?;
            self.static_vars.insert(play as *const Play, vars);
        }
        Ok(())
    }

    /// Before anything runs: a `hosts:` pattern (untemplated) or `--limit` that cannot be
    /// evaluated (an unclosed subscript, a bad regex) stops the run, naming the play's file
    /// and line, so a mistake in a later play changes nothing on any host.
    fn check_play_pattern(&self, play: &Play) -> Result<(), RunError> {
        if play.hosts.contains('$') || play.hosts.contains("{{") {
            return Ok(());
        }
        self.inventory
            .select(&play.hosts, self.opts.limit.as_deref(), self.dialect)
            .map(drop)
            .map_err(|e| RunError::Msg(format!("{}: {e}", play.pos)))
    }

    /// Runs every play of the playbook, then prints the recap.
    pub async fn run_playbook(&mut self, playbook: &Playbook) -> Result<(), RunError> {
        self.playbook_dir = playbook.path.parent().map(std::path::Path::to_path_buf);
        // group_vars/ and host_vars/ beside the playbook (1.2 only when the playbook was named
        // with a directory part; `site.yml` alone skipped them).
        let named_with_dir = playbook
            .path
            .parent()
            .is_some_and(|p| !p.as_os_str().is_empty());
        if let Some(dir) = self
            .playbook_dir
            .clone()
            .filter(|_| named_with_dir || self.dialect == Dialect::Modern)
        {
            if self.inventory.add_vars_dir(&dir).is_ok() {
                self.store.refresh_inventory(&self.inventory);
            }
        }
        for play in &playbook.plays {
            if let PlayEnd::Abort = self.run_play(play).await? {
                // `ansible` (ad-hoc) printed no abort line; `ansible-playbook` did.
                if !self.adhoc {
                    self.output.emit(&Event::AllHostsFailed);
                }
                break;
            }
        }
        self.pool.close_all().await;
        Ok(())
    }

    /// Prints the recap (playbooks) and returns Ansible's exit code. `write_retry` is called with
    /// the failed hosts when the run failed; the path it returns is named in the recap.
    pub fn finish(&mut self, write_retry: impl FnOnce(&[String]) -> Option<String>) -> u8 {
        let code = if self.states.any_unreachable() {
            4
        } else if self.states.any_failed() {
            2
        } else {
            0
        };
        let retry = if code != 0 {
            write_retry(&self.states.failed_hosts())
        } else {
            None
        };
        if !self.adhoc {
            self.output.emit(&Event::Recap {
                stats: self.states.stats().clone(),
                retry,
            });
        }
        code
    }

    /// After an interrupt: closes every connection (idle agents see their input end and exit),
    /// prints the interrupted line (1.2's `ERROR: interrupted`, ansible-core's `[ERROR]: User
    /// interrupted execution`) and the recap of the tasks finished so far; returns the exit
    /// code (130 for SIGINT, 143 for SIGTERM).
    pub async fn interrupted(&mut self) -> u8 {
        self.pool.close_all().await;
        eprintln!(
            "{}",
            match self.dialect {
                Dialect::Legacy12 => "ERROR: interrupted",
                Dialect::Modern => "[ERROR]: User interrupted execution",
            }
        );
        if !self.adhoc {
            self.output.emit(&Event::Recap {
                stats: self.states.stats().clone(),
                retry: None,
            });
        }
        interrupt::code().unwrap_or(130)
    }

    async fn run_play(&mut self, play: &Play) -> Result<PlayEnd, RunError> {
        let pattern = self.play_pattern(play);
        let hosts: Vec<String> = self
            .inventory
            .select(&pattern, self.opts.limit.as_deref(), self.dialect)
            .map_err(|e| RunError::Msg(e.to_string()))?
            .into_iter()
            .filter(|h| self.states.alive(h))
            .collect();
        if self.dialect == Dialect::Legacy12 && !self.play_has_selected_tasks(play) {
            // 1.2 drops a play none of whose tasks match --tags before running anything:
            // no header, no "no hosts matched", no facts (PlayBook.run / compare_tags).
            return Ok(PlayEnd::Done);
        }
        if !self.adhoc {
            self.output.emit(&Event::PlayStart {
                name: play.display_name().to_string(),
            });
        }
        if hosts.is_empty() {
            if !self.adhoc {
                self.output.emit(&Event::NoHostsMatched);
            }
            return Ok(PlayEnd::Done);
        }
        if !self.play_has_selected_tasks(play) {
            return Ok(PlayEnd::Done);
        }
        self.play_hosts = hosts.clone();
        for h in &hosts {
            self.states.touch(h);
            self.store.enter_host(h);
        }
        let reach = play_reach(play);
        if self.dialect == Dialect::Modern {
            return self.run_play_batches(play, &pattern, &reach).await;
        }
        if play.gather_facts.as_ref().map(truthy).unwrap_or(true) && !self.adhoc {
            self.gather_facts(play, &hosts, &reach).await?;
        }
        let alive: Vec<String> = hosts
            .iter()
            .filter(|h| self.states.alive(h))
            .cloned()
            .collect();
        varsfiles::host_pass(self, play, &alive)?;
        for batch in serial_batches(&alive, play.serial.as_ref()) {
            if let PlayEnd::Abort = self.run_batch(play, &batch, &reach).await? {
                return Ok(PlayEnd::Abort);
            }
        }
        Ok(PlayEnd::Done)
    }

    /// A modern play, as ansible-core runs it: hosts in the play's `order`, `serial` batches
    /// made over every host of the play (failed ones drop out of their batch), and for each
    /// batch its `PLAY [...]` banner (after the first), facts, `vars_files`, tasks, handlers.
    async fn run_play_batches(
        &mut self,
        play: &Play,
        pattern: &str,
        reach: &Reach,
    ) -> Result<PlayEnd, RunError> {
        let all = self
            .inventory
            .select(pattern, self.opts.limit.as_deref(), self.dialect)
            .map_err(|e| RunError::Msg(e.to_string()))?;
        self.play_hosts_all = all.clone();
        let ordered = ordered_hosts(&all, play.order.as_deref());
        let gather = play.gather_facts.as_ref().map(truthy).unwrap_or(true) && !self.adhoc;
        for (i, batch) in serial_batches(&ordered, play.serial.as_ref())
            .into_iter()
            .enumerate()
        {
            let batch: Vec<String> = batch.into_iter().filter(|h| self.states.alive(h)).collect();
            if batch.is_empty() {
                continue;
            }
            if i > 0 && !self.adhoc {
                self.output.emit(&Event::PlayStart {
                    name: play.display_name().to_string(),
                });
            }
            self.play_batch = batch.clone();
            if gather {
                self.gather_facts(play, &batch, reach).await?;
            }
            let batch: Vec<String> = batch.into_iter().filter(|h| self.states.alive(h)).collect();
            varsfiles::host_pass(self, play, &batch)?;
            if let PlayEnd::Abort = self.run_batch(play, &batch, reach).await? {
                return Ok(PlayEnd::Abort);
            }
        }
        Ok(PlayEnd::Done)
    }

    /// Runs one batch: `pre_tasks`, `tasks`, `post_tasks`, each followed by its handlers.
    async fn run_batch(
        &mut self,
        play: &Play,
        batch: &[String],
        reach: &Reach,
    ) -> Result<PlayEnd, RunError> {
        let mut notified = Notified::new();
        let sections: [&[Task]; 3] = [&play.pre_tasks, &play.tasks, &play.post_tasks];
        for tasks in sections {
            if let PlayEnd::Abort = self
                .run_tasks(play, tasks, batch, reach, &mut notified)
                .await?
            {
                return Ok(PlayEnd::Abort);
            }
            self.flush_handlers(play, batch, reach, &mut notified)
                .await?;
        }
        Ok(PlayEnd::Done)
    }

    fn play_pattern(&self, play: &Play) -> String {
        if self.dialect != Dialect::Legacy12
            || !play.hosts.contains('$') && !play.hosts.contains("{{")
        {
            return play.hosts.clone();
        }
        let vars = self.play_vars_only(play);
        let ctx = self.templar_ctx(&vars, &play.basedir, None);
        match self
            .templar
            .template_value(&Value::String(play.hosts.clone()), &ctx)
        {
            Ok(Value::String(s)) => s,
            _ => play.hosts.clone(),
        }
    }

    fn play_has_selected_tasks(&self, play: &Play) -> bool {
        play.all_tasks().next().is_none() || play.all_tasks().any(|t| self.tags_selected(t))
    }

    pub(crate) fn tags_selected(&self, task: &Task) -> bool {
        task_selected(task, &self.tag_filter, self.dialect)
    }

    pub(crate) fn templar_ctx<'a>(
        &'a self,
        vars: &'a Map,
        basedir: &'a std::path::Path,
        hostvars: Option<Arc<dyn crate::template::HostVarsLookup>>,
    ) -> crate::template::TemplateContext<'a> {
        crate::template::TemplateContext::new(vars, basedir, self.dialect, hostvars)
    }

    async fn gather_facts(
        &mut self,
        play: &Play,
        hosts: &[String],
        reach: &Reach,
    ) -> Result<(), RunError> {
        let todo: Vec<String> = match self.dialect {
            Dialect::Legacy12 => hosts
                .iter()
                .filter(|h| !self.gathered.contains(*h))
                .cloned()
                .collect(),
            Dialect::Modern => hosts.to_vec(),
        };
        if todo.is_empty() {
            return Ok(());
        }
        self.output.emit(&Event::GatheringFacts);
        let runner = TaskRunner::new(self, play, reach);
        let forks = self.opts.forks.max(1);
        let all = stream::iter(todo.iter())
            .map(|h| async { (h.clone(), runner.gather(h).await) })
            .buffered(forks)
            .collect();
        let results: Vec<(String, Result<Map, String>)> = until_interrupted(all).await?;
        drop(runner);
        for (host, res) in results {
            match res {
                Ok(facts) => {
                    self.store.set_facts(&host, facts);
                    self.gathered.insert(host.clone());
                    self.output.emit(&Event::HostResult {
                        host: host.clone(),
                        status: Status::Ok,
                        item: None,
                        result: Map::new(),
                    });
                    self.states.record(&host, Status::Ok);
                }
                Err(msg) => {
                    self.host_unreachable(&host, &msg);
                    if self.dialect == Dialect::Legacy12 {
                        self.store.leave_hostvars(&host);
                    }
                }
            }
        }
        Ok(())
    }

    fn host_unreachable(&mut self, host: &str, msg: &str) {
        let mut m = Map::new();
        m.insert("msg".into(), Value::String(msg.to_string()));
        self.output.emit(&Event::HostResult {
            host: host.to_string(),
            status: Status::Unreachable,
            item: None,
            result: m,
        });
        self.states.record(host, Status::Unreachable);
        self.pool.forget(host);
    }

    pub(crate) async fn run_tasks(
        &mut self,
        play: &Play,
        tasks: &[Task],
        batch: &[String],
        reach: &Reach,
        notified: &mut Notified,
    ) -> Result<PlayEnd, RunError> {
        for task in tasks {
            if !self.tags_selected(task) {
                continue;
            }
            if !self.started {
                if self.pb.start_at_task.as_deref() == Some(task.display_name().as_str()) {
                    self.started = true;
                } else {
                    continue;
                }
            }
            if let Some(block) = &task.block {
                if let PlayEnd::Abort = self.run_block(play, block, batch, reach, notified).await? {
                    return Ok(PlayEnd::Abort);
                }
                continue;
            }
            let hosts: Vec<String> = batch
                .iter()
                .filter(|h| self.states.alive(h))
                .cloned()
                .collect();
            if hosts.is_empty() {
                return Ok(PlayEnd::Abort);
            }
            if task.module == "meta" && task.args.raw.trim() == "flush_handlers" {
                self.flush_handlers(play, batch, reach, notified).await?;
                continue;
            }
            if self.pb.step && !confirm_step(&task.display_name()) {
                continue;
            }
            if task.module == "include_tasks" {
                let end = self
                    .run_include(play, task, &hosts, reach, notified)
                    .await?;
                if let PlayEnd::Abort = end {
                    return Ok(PlayEnd::Abort);
                }
            } else {
                self.run_one_task(play, task, &hosts, reach, Some(notified), false)
                    .await?;
            }
            let fatal = play.any_errors_fatal.as_ref().map(truthy).unwrap_or(false)
                || task.any_errors_fatal.as_ref().map(truthy).unwrap_or(false);
            if fatal && hosts.iter().any(|h| !self.states.alive(h)) {
                return Ok(PlayEnd::Abort);
            }
            if let Some(pct) = play
                .max_fail_percentage
                .as_ref()
                .and_then(|v| crate::template::python_str(v).parse::<f64>().ok())
            {
                let failed = hosts.iter().filter(|h| !self.states.alive(h)).count();
                if (failed as f64) * 100.0 / (hosts.len() as f64) > pct {
                    return Ok(PlayEnd::Abort);
                }
            }
            if batch.iter().all(|h| !self.states.alive(h)) {
                return Ok(PlayEnd::Abort);
            }
        }
        Ok(PlayEnd::Done)
    }

    /// `block` / `rescue` / `always`: hosts that fail inside the block run `rescue` (and count as
    /// rescued); `always` runs for every host that entered the block.
    async fn run_block(
        &mut self,
        play: &Play,
        block: &crate::playbook::Block,
        batch: &[String],
        reach: &Reach,
        notified: &mut Notified,
    ) -> Result<PlayEnd, RunError> {
        let entered: Vec<String> = batch
            .iter()
            .filter(|h| self.states.alive(h))
            .cloned()
            .collect();
        let end = Box::pin(self.run_tasks(play, &block.block, &entered, reach, notified)).await?;
        let failed: Vec<String> = entered
            .iter()
            .filter(|h| !self.states.alive(h))
            .cloned()
            .collect();
        if !failed.is_empty() && !block.rescue.is_empty() {
            for h in &failed {
                self.states.rescue(h);
                self.expose_failure(h);
            }
            Box::pin(self.run_tasks(play, &block.rescue, &failed, reach, notified)).await?;
        }
        if !block.always.is_empty() {
            let always_hosts: Vec<String> = entered.clone();
            for h in &always_hosts {
                self.states.allow_always(h);
            }
            Box::pin(self.run_tasks(play, &block.always, &always_hosts, reach, notified)).await?;
            self.states.end_always();
        }
        let _ = end;
        Ok(PlayEnd::Done)
    }

    async fn flush_handlers(
        &mut self,
        play: &Play,
        batch: &[String],
        reach: &Reach,
        notified: &mut Notified,
    ) -> Result<(), RunError> {
        if notified.is_empty() {
            return Ok(());
        }
        for (idx, handler) in play.handlers.iter().enumerate() {
            let hosts: Vec<String> = notified
                .take(idx)
                .into_iter()
                .filter(|h| batch.contains(h) && self.states.alive(h))
                .collect();
            if hosts.is_empty() {
                continue;
            }
            self.run_one_task(play, handler, &hosts, reach, None, true)
                .await?;
        }
        Ok(())
    }

    /// Runs one task on `hosts` concurrently (up to `--forks`), then applies the results in host
    /// order: output, recap counters, `register`, facts, groups, notifications.
    async fn run_one_task(
        &mut self,
        play: &Play,
        task: &Task,
        hosts: &[String],
        reach: &Reach,
        notified: Option<&mut Notified>,
        handler: bool,
    ) -> Result<(), RunError> {
        let (outcomes, others) = self
            .start_and_run_task(play, task, hosts, reach, handler)
            .await?;
        self.apply_outcomes(play, task, outcomes, &others, notified)
    }

    /// Print the task's banner and run it on every host (`forks` at a time). Returns the
    /// outcomes and, for a `run_once` task whose result is shared, the hosts it did not run on.
    pub(crate) async fn start_and_run_task(
        &mut self,
        play: &Play,
        task: &Task,
        hosts: &[String],
        reach: &Reach,
        handler: bool,
    ) -> Result<(Vec<(String, HostOutcome)>, Vec<String>), RunError> {
        if interrupt::is_set() {
            return Err(RunError::Interrupted);
        }
        let name = self.display_name(play, task);
        if !self.adhoc {
            self.output.emit(&Event::TaskStart { name, handler });
        }
        let mode = match hosts.first() {
            Some(first) => self.run_once_mode(play, task, first),
            None => RunOnce::EveryHost,
        };
        let (hosts, others) = match mode {
            RunOnce::EveryHost => (hosts, &[][..]),
            RunOnce::Shared => hosts.split_at(1),
            RunOnce::FirstHostOnly => (&hosts[..1], &[][..]),
        };
        let outcomes: Vec<(String, HostOutcome)> = {
            let forks = self.task_parallelism(play, task, hosts.first().map(String::as_str))?;
            let runner = TaskRunner::new(self, play, reach);
            let all = stream::iter(hosts.iter())
                .map(|h| {
                    let runner = &runner;
                    async move { (h.clone(), runner.run(task, h).await) }
                })
                .buffered(forks)
                .collect();
            until_interrupted(all).await?
        };
        let outcomes = if self.dialect == Dialect::Legacy12 && task.module == "group_by" {
            bypass_host_loop(outcomes)
        } else {
            outcomes
        };
        Ok((outcomes, others.to_vec()))
    }

    /// Print and record every host's outcome of a task, notifying handlers.
    pub(crate) fn apply_outcomes(
        &mut self,
        play: &Play,
        task: &Task,
        outcomes: Vec<(String, HostOutcome)>,
        others: &[String],
        notified: Option<&mut Notified>,
    ) -> Result<(), RunError> {
        // Handler names are templated only when some host has something to notify.
        let handler_names = if outcomes.iter().any(|(_, o)| !o.notify.is_empty()) {
            self.handler_names(play)
        } else {
            Vec::new()
        };
        let mut notified = notified;
        let shared = match outcomes.first() {
            Some((_, first)) if !others.is_empty() => Some(SharedResult::of(task, first)),
            _ => None,
        };
        for (host, outcome) in outcomes {
            self.apply_outcome(
                task,
                &host,
                outcome,
                &handler_names,
                notified.as_deref_mut(),
            )?;
        }
        if let Some(shared) = shared {
            self.share_run_once(task, shared, others);
        }
        Ok(())
    }

    /// The task's banner name (templated with the play's variables). Without `name:`, modern
    /// Ansible shows the module as written; 1.2 showed the action line, printed here with the
    /// values of secret (`no_log`) options masked.
    fn display_name(&self, play: &Play, task: &Task) -> String {
        let shown = self.unprefixed_name(play, task);
        // ansible-core prefixes a role's tasks and handlers with the role's name.
        match task.role.and_then(|i| play.roles.get(i)) {
            Some(role) if self.dialect == Dialect::Modern => format!("{} : {shown}", role.name),
            _ => shown,
        }
    }

    /// The banner name without the role prefix.
    fn unprefixed_name(&self, play: &Play, task: &Task) -> String {
        if task.name.is_none() && self.dialect == Dialect::Modern {
            return task.module_as_written.clone();
        }
        let raw = task.display_name();
        let shown = if !raw.contains('$') && !raw.contains("{{") {
            raw
        } else {
            let vars = self.play_vars_only(play);
            let ctx = self.templar_ctx(&vars, &task.basedir, None);
            match self
                .templar
                .template_value(&Value::String(raw.clone()), &ctx)
            {
                Ok(Value::String(s)) => s,
                _ => raw,
            }
        };
        match crate::modules::lookup(&task.module).filter(|_| task.name.is_none()) {
            Some(m) => crate::modules::args::mask_kv_string(&shown, m.spec()),
            None => shown,
        }
    }

    /// What each of the play's handlers can be notified by (names templated with the play's
    /// variables; `listen` topics and role prefixes in modern playbooks).
    fn handler_names(&self, play: &Play) -> Vec<HandlerKeys> {
        let vars = self.play_vars_only(play);
        let modern = self.dialect == Dialect::Modern;
        let mut block = 0;
        let mut prev_role = play.handlers.first().and_then(|h| h.role);
        play.handlers
            .iter()
            .map(|h| {
                // Each role's handlers and the play's own are separate blocks in ansible-core.
                if h.role != prev_role {
                    block += 1;
                    prev_role = h.role;
                }
                let ctx = self.templar_ctx(&vars, &h.basedir, None);
                let raw = h.display_name();
                let name = match self
                    .templar
                    .template_value(&Value::String(raw.clone()), &ctx)
                {
                    Ok(Value::String(s)) => s,
                    _ => raw,
                };
                if !modern {
                    return HandlerKeys::new(name, None, &[], block);
                }
                let role = h
                    .role
                    .and_then(|i| play.roles.get(i))
                    .map(|r| r.name.as_str());
                HandlerKeys::new(name, role, &h.listen, block)
            })
            .collect()
    }

    fn apply_outcome(
        &mut self,
        task: &Task,
        host: &str,
        outcome: HostOutcome,
        handler_names: &[HandlerKeys],
        notified: Option<&mut Notified>,
    ) -> Result<(), RunError> {
        // A notification no handler answers stops the run before the result is shown.
        let counted = notified.is_some();
        let early = match self.dialect {
            Dialect::Modern => Some(self.notified_handlers(&outcome, handler_names, counted)?),
            Dialect::Legacy12 => None,
        };
        for (left, result) in &outcome.retries {
            let mut result = result.clone();
            if outcome.no_log {
                result.insert(NO_LOG_KEY.into(), Value::Bool(true));
            }
            self.output.emit(&Event::Retry {
                host: host.to_string(),
                task: task.display_name().to_string(),
                left: *left,
                result,
            });
        }
        for line in &outcome.displays {
            self.output.emit(&Event::Display(line.clone()));
        }
        for ItemLine {
            status,
            item,
            result,
        } in &outcome.lines
        {
            if result.contains_key(super::includes::INCLUDE_PATH_KEY) {
                // Printed as `included: FILE for HOSTS` once every host has run the include.
                continue;
            }
            let mut shown = result.clone();
            shown.retain(|k, _| {
                !k.starts_with("_flock") || k == "_flock_show" || k == crate::output::REPR_KEY
            });
            if outcome.no_log {
                shown.insert(NO_LOG_KEY.into(), Value::Bool(true));
            }
            if self.adhoc {
                self.print_adhoc(host, &task.module, *status, &shown);
            } else {
                self.output.emit(&Event::HostResult {
                    host: outcome.host_label.as_deref().unwrap_or(host).to_string(),
                    status: *status,
                    item: item.clone(),
                    result: shown,
                });
            }
        }
        for d in &outcome.diffs {
            self.output.emit(&Event::Diff {
                host: host.to_string(),
                text: d.clone(),
                no_log: outcome.no_log,
            });
        }
        for w in &outcome.warnings {
            self.output.emit(&Event::Warning(w.clone()));
        }
        let status = outcome.status;
        if status == Status::Unreachable {
            self.states.record(host, Status::Unreachable);
            self.pool.forget(host);
            return Ok(());
        }
        self.states.record(host, status);
        if status == Status::Failed && self.dialect == Dialect::Modern {
            let failed = (failed_task_value(task), register_value(&outcome.result));
            self.last_failure.insert(host.to_string(), failed);
        }
        if status == Status::Ignored && is_changed(&outcome.result) {
            self.states.add_changed(host);
        }
        // 1.2's order after a task: facts, extra vars again, then `register`.
        let facts = result_facts(&outcome.result);
        if let Some(name) = &task.register {
            let names = self.no_log_registered.entry(host.to_string()).or_default();
            if outcome.no_log {
                names.insert(name.clone());
            } else {
                names.remove(name);
            }
        }
        let registered = task
            .register
            .as_deref()
            .map(|name| (name, register_value(&outcome.result)));
        self.store.record_task_result(host, facts, registered);
        for group in &outcome.add_groups {
            self.inventory.add_group_member(group, host);
            self.store.add_group_member(group, host);
        }
        let notify = match early {
            Some(notify) => notify,
            // 1.2 showed the result before stopping on a missing handler.
            None => self.notified_handlers(&outcome, handler_names, counted)?,
        };
        if let Some(n) = notified {
            for i in notify {
                n.notify(i, host);
            }
        }
        Ok(())
    }

    /// A host entering `rescue` sees what failed: `ansible_failed_task` and
    /// `ansible_failed_result` (modern; they stay defined afterwards, as ansible-core's
    /// non-persistent facts do).
    fn expose_failure(&mut self, host: &str) {
        if let Some((task, result)) = self.last_failure.remove(host) {
            self.store.register(host, "ansible_failed_task", task);
            self.store.register(host, "ansible_failed_result", result);
        }
    }

    /// The handlers `outcome` notifies (when it changed something and notifications count).
    fn notified_handlers(
        &self,
        outcome: &HostOutcome,
        handler_names: &[HandlerKeys],
        counted: bool,
    ) -> Result<Vec<usize>, RunError> {
        let changed = outcome.status == Status::Changed
            || (outcome.status == Status::Ignored && is_changed(&outcome.result));
        if !changed || !counted {
            return Ok(Vec::new());
        }
        let modern = self.dialect == Dialect::Modern;
        let mut all = Vec::new();
        for name in &outcome.notify {
            let idx = matching_handlers(name, handler_names, modern);
            if idx.is_empty() {
                return Err(RunError::Msg(missing_handler(name, modern)));
            }
            all.extend(idx);
        }
        Ok(all)
    }

    fn print_adhoc(&self, host: &str, module: &str, status: Status, result: &Map) {
        let mut r = if crate::output::censor::is_no_log(result) {
            crate::output::censor::censor_result(result)
        } else {
            result.clone()
        };
        r.retain(|k, _| !k.starts_with("_flock"));
        let text = super::adhoc::render(host, module, status, &r);
        print!("{text}");
    }

    /// The connection spec and privilege for `host` in this play.
    pub(crate) fn reach_host(
        &self,
        host: &str,
        vars: &Map,
        reach: &Reach,
    ) -> (
        crate::connection::ConnectSpec,
        Option<crate::connection::Become>,
    ) {
        (
            connect_spec(host, vars, reach, &self.opts, &self.passwords),
            become_for(reach, &self.opts, &self.passwords),
        )
    }
}

/// Ansible 1.2 ran `group_by` once for all the task's hosts (`BYPASS_HOST_LOOP`): one result,
/// `{"changed": any, "groups": {group: [hosts]}}`, printed for the first host and counted for all.
fn bypass_host_loop(mut outcomes: Vec<(String, HostOutcome)>) -> Vec<(String, HostOutcome)> {
    let mut groups = Map::new();
    let mut changed = false;
    for (host, o) in &outcomes {
        if o.status == Status::Skipped {
            continue;
        }
        changed |= is_changed(&o.result);
        for g in &o.add_groups {
            let entry = groups
                .entry(g.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(a) = entry {
                a.push(Value::String(host.clone()));
            }
        }
    }
    let mut result = Map::new();
    result.insert("changed".into(), Value::Bool(changed));
    result.insert("groups".into(), Value::Object(groups));
    let status = if changed { Status::Changed } else { Status::Ok };
    for (i, (_, o)) in outcomes.iter_mut().enumerate() {
        if matches!(o.status, Status::Unreachable | Status::Failed) {
            continue;
        }
        o.status = status;
        o.result = result.clone();
        o.lines = if i == 0 {
            vec![ItemLine {
                status,
                item: None,
                result: result.clone(),
            }]
        } else {
            Vec::new()
        };
    }
    outcomes
}

/// Awaits `work` (one task's or the facts' results from every host); when the run is
/// interrupted meanwhile, lets it finish for a bounded time (the remote operations in flight
/// stop their commands and return) and drops what is left: either way the results are dropped
/// and the run stops with [`RunError::Interrupted`].
async fn until_interrupted<T>(work: impl std::future::Future<Output = T>) -> Result<T, RunError> {
    tokio::pin!(work);
    let done = tokio::select! {
        done = &mut work => done,
        () = interrupt::wait() => {
            let _ = tokio::time::timeout(interrupt::GRACE * 4, &mut work).await;
            return Err(RunError::Interrupted);
        }
    };
    match interrupt::is_set() {
        true => Err(RunError::Interrupted),
        false => Ok(done),
    }
}

/// The play's connection settings.
fn play_reach(play: &Play) -> Reach {
    Reach::from_model(
        play.remote_user.as_ref(),
        play.connection.as_deref(),
        &play.become_,
    )
}

/// What `ansible_failed_task` holds: part of ansible-core's serialized task (`name`,
/// `action`, `args`).
fn failed_task_value(task: &Task) -> Value {
    let mut m = Map::new();
    m.insert(
        "name".into(),
        Value::String(task.name.clone().unwrap_or_default()),
    );
    m.insert("action".into(), Value::String(task.module.clone()));
    let mut args = task.args.map.clone();
    if !task.args.raw.is_empty() {
        args.insert("_raw_params".into(), Value::String(task.args.raw.clone()));
    }
    m.insert("args".into(), Value::Object(args));
    Value::Object(m)
}

/// The error for a notification no handler answers (ansible-core's with
/// `ERROR_ON_MISSING_HANDLER`, 1.2's).
fn missing_handler(name: &str, modern: bool) -> String {
    match modern {
        true => format!(
            "The requested handler '{name}' was not found in either the main handlers list nor in the listening handlers list"
        ),
        false => format!("change handler ({name}) is not defined"),
    }
}

fn confirm_step(name: &str) -> bool {
    use std::io::Write;
    print!("Perform task: {name} (y/n/c): ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    !answer.trim().eq_ignore_ascii_case("n")
}

/// The facts a task result sets: its `ansible_facts`, or for a loop each item's `ansible_facts`
/// merged in item order (as ansible-core's strategy applies them: `set_fact` in a loop).
fn result_facts(result: &Map) -> Option<Map> {
    if let Some(Value::Object(f)) = result.get("ansible_facts") {
        return Some(f.clone());
    }
    let Some(Value::Array(items)) = result.get("results") else {
        return None;
    };
    let mut merged: Option<Map> = None;
    for item in items {
        if let Some(Value::Object(f)) = item.get("ansible_facts") {
            let m = merged.get_or_insert_with(Map::new);
            for (k, v) in f {
                m.insert(k.clone(), v.clone());
            }
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_item_facts_are_merged_in_order() {
        let item = |k: &str, v: &str| {
            let mut f = Map::new();
            f.insert(k.into(), Value::String(v.into()));
            let mut r = Map::new();
            r.insert("ansible_facts".into(), Value::Object(f));
            Value::Object(r)
        };
        let mut result = Map::new();
        result.insert(
            "results".into(),
            Value::Array(vec![item("x0", "a"), item("x1", "b"), item("x0", "c")]),
        );
        let facts = result_facts(&result).expect("facts");
        assert_eq!(facts.get("x0"), Some(&Value::String("c".into())));
        assert_eq!(facts.get("x1"), Some(&Value::String("b".into())));
        assert!(result_facts(&Map::new()).is_none());
    }
}
