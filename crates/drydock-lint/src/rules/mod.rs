//! Every lint rule, one file each. Codes are stable and never reused:
//! `DD0xx` the file itself, `DD1xx` build speed and layer hygiene, `DD2xx` security.

mod apk_cache_left;
mod apt_lists_left;
mod apt_update_separate;
mod build_deps_in_final_stage;
mod cache_mount_missing;
mod compile_in_single_stage;
mod dnf_cache_left;
mod invalid_syntax;
mod manifest_copy_before_install;
mod npm_cache_left;
mod package_managers;
mod pip_cache_left;
mod upgrade_in_cached_layer;
mod yarn_cache_left;
mod yum_cache_left;

mod add_local_files;
mod add_remote_without_checksum;
mod base_image_latest;
mod base_image_no_digest;
mod base_image_untagged;
mod credentials_in_run;
mod final_stage_runs_as_root;
mod insecure_download;
mod pipe_to_shell;
mod secret_arg_in_run;
mod secret_in_arg_env;
mod security_helpers;
mod tls_verification_disabled;

use crate::rule::Rule;

/// All rules, in code order.
pub static ALL: &[&Rule] = &[
    &invalid_syntax::RULE,
    &manifest_copy_before_install::RULE,
    &cache_mount_missing::RULE,
    &upgrade_in_cached_layer::RULE,
    &apt_update_separate::RULE,
    &npm_cache_left::RULE,
    &build_deps_in_final_stage::RULE,
    &compile_in_single_stage::RULE,
    &secret_in_arg_env::RULE,
    &secret_arg_in_run::RULE,
    &credentials_in_run::RULE,
    &final_stage_runs_as_root::RULE,
    &base_image_no_digest::RULE,
    &add_remote_without_checksum::RULE,
    &pipe_to_shell::RULE,
    &insecure_download::RULE,
    &tls_verification_disabled::RULE,
    &base_image_untagged::RULE,
    &base_image_latest::RULE,
    &apt_lists_left::RULE,
    &apk_cache_left::RULE,
    &add_local_files::RULE,
    &yum_cache_left::RULE,
    &dnf_cache_left::RULE,
    &pip_cache_left::RULE,
    &yarn_cache_left::RULE,
];

/// The rule with this code or name.
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|rule| rule.code.eq_ignore_ascii_case(code_or_name) || rule.name == code_or_name)
}
