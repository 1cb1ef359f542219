//! `template`: renders a controller template (looked up like Ansible's `templates/` search)
//! with the task's variables and writes it to `dest` the way `copy` does.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::common::find_source;
use super::copy::put_content;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `template` module.
pub struct Template;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("src", ArgKind::Path).required(),
        OptSpec::new("dest", ArgKind::Path).required(),
        OptSpec::new("backup", ArgKind::Bool).default("no"),
        OptSpec::new("force", ArgKind::Bool).default("yes"),
        OptSpec::new("validate", ArgKind::Str),
        OptSpec::new("newline_sequence", ArgKind::Str),
        OptSpec::new("trim_blocks", ArgKind::Bool),
        OptSpec::new("lstrip_blocks", ArgKind::Bool),
        OptSpec::new("output_encoding", ArgKind::Str),
    ],
    free_form: false,
    file_common: true,
});

#[async_trait]
impl Module for Template {
    fn name(&self) -> &'static str {
        "template"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let src = args.str("src").unwrap_or_default();
        let dest = args.str("dest").unwrap_or_default().to_string();
        let Some(path) = find_source(&ctx.basedir, "templates", src) else {
            // 1.2: template_from_file raised "unable to read <path_dwim>", a controller-side
            // error (an unreachable host in the 1.2 dialect, a failure in the modern one).
            return Err(ModuleError::Controller(format!(
                "unable to read {}",
                super::common::dwim_path(&ctx.basedir, src).display()
            )));
        };
        let text = ctx
            .templates
            .render_file(&path)
            .map_err(ModuleError::Controller)?;
        let mut text = text;
        if args.str("newline_sequence") == Some("\\r\\n") {
            text = text.replace('\n', "\r\n");
        }
        let basename = std::path::Path::new(src)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let mut res = put_content(
            ctx,
            args,
            &dest,
            basename.as_deref(),
            super::copy::Content::Bytes(text.as_bytes()),
            ctx.new_file_mode(),
        )
        .await?;
        if !res.failed {
            // 1.2's failures (fail_json) name no `src`.
            res.data
                .insert("src".into(), path.display().to_string().into());
        }
        Ok(res)
    }
}
