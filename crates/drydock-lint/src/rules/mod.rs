//! Every lint rule, one file each. Codes are stable and never reused:
//! `DD0xx` the file itself, `DD1xx` build speed and layer hygiene, `DD2xx` security, and
//! `DDnnnn` the counterpart of hadolint's rule `DLnnnn` (same number).

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
mod credential_file_copied;
mod credentials_in_run;
mod final_stage_runs_as_root;
mod insecure_download;
mod password_set_in_run;
mod pipe_to_shell;
mod secret_arg_in_run;
mod secret_in_arg_env;
mod security_helpers;
mod ssh_port_exposed;
mod system_directory_workdir;
mod tls_verification_disabled;
mod world_writable_permissions;

// hadolint parity rules (DDxxxx = hadolint DLxxxx).
mod apk_version_unpinned;
mod apt_get_missing_yes;
mod apt_get_recommends_installed;
mod apt_get_version_unpinned;
mod apt_instead_of_apt_get;
mod archive_copied_then_extracted;
mod cd_instead_of_workdir;
mod cmd_shell_form;
mod consecutive_runs;
mod copy_destination_not_directory;
mod copy_entire_stage_filesystem;
mod copy_from_own_stage;
mod copy_from_unknown_stage;
mod copy_relative_without_workdir;
mod curl_and_wget;
mod dnf_missing_yes;
mod dnf_version_unpinned;
mod duplicate_stage_name;
mod env_self_reference;
mod expose_port_out_of_range;
mod from_platform_constant;
mod from_platform_redundant;
mod gem_version_unpinned;
mod go_version_unpinned;
mod healthcheck_missing;
mod inline_ignore_pragma;
mod instruction_before_from;
mod invalid_label_key;
mod label_empty;
mod label_missing;
mod label_not_email;
mod label_not_git_hash;
mod label_not_in_schema;
mod label_not_rfc3339;
mod label_not_semver;
mod label_not_spdx;
mod label_not_url;
mod labels;
mod last_user_root;
mod ln_replaces_bin_sh;
mod maintainer_deprecated;
mod multiple_cmds;
mod multiple_entrypoints;
mod multiple_healthchecks;
mod npm_version_unpinned;
mod pip_version_unpinned;
mod pipe_without_pipefail;
mod pointless_command_in_run;
mod reserved_stage_name;
mod sudo_in_run;
mod untrusted_registry;
mod user_not_numeric;
mod useradd_lastlog_bloat;
mod wget_progress_bar;
mod workdir_relative;
mod yum_missing_yes;
mod yum_version_unpinned;
mod zypper_cache_left;
mod zypper_dist_upgrade;
mod zypper_missing_non_interactive;
mod zypper_version_unpinned;

use crate::rule::Rule;

/// All rules, in code order.
pub static ALL: &[&Rule] = &[
    &invalid_syntax::RULE,
    &inline_ignore_pragma::RULE,
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
    &ssh_port_exposed::RULE,
    &password_set_in_run::RULE,
    &world_writable_permissions::RULE,
    &system_directory_workdir::RULE,
    &credential_file_copied::RULE,
    &workdir_relative::RULE,
    &pointless_command_in_run::RULE,
    &last_user_root::RULE,
    &cd_instead_of_workdir::RULE,
    &sudo_in_run::RULE,
    &base_image_untagged::RULE,
    &base_image_latest::RULE,
    &apt_get_version_unpinned::RULE,
    &apt_lists_left::RULE,
    &archive_copied_then_extracted::RULE,
    &expose_port_out_of_range::RULE,
    &multiple_healthchecks::RULE,
    &pip_version_unpinned::RULE,
    &apt_get_missing_yes::RULE,
    &apt_get_recommends_installed::RULE,
    &npm_version_unpinned::RULE,
    &apk_version_unpinned::RULE,
    &apk_cache_left::RULE,
    &add_local_files::RULE,
    &copy_destination_not_directory::RULE,
    &copy_from_unknown_stage::RULE,
    &copy_from_own_stage::RULE,
    &duplicate_stage_name::RULE,
    &cmd_shell_form::RULE,
    &untrusted_registry::RULE,
    &apt_instead_of_apt_get::RULE,
    &gem_version_unpinned::RULE,
    &from_platform_constant::RULE,
    &yum_missing_yes::RULE,
    &yum_cache_left::RULE,
    &yum_version_unpinned::RULE,
    &zypper_missing_non_interactive::RULE,
    &zypper_dist_upgrade::RULE,
    &zypper_cache_left::RULE,
    &zypper_version_unpinned::RULE,
    &dnf_missing_yes::RULE,
    &dnf_cache_left::RULE,
    &dnf_version_unpinned::RULE,
    &pip_cache_left::RULE,
    &env_self_reference::RULE,
    &copy_relative_without_workdir::RULE,
    &useradd_lastlog_bloat::RULE,
    &wget_progress_bar::RULE,
    &invalid_label_key::RULE,
    &label_missing::RULE,
    &label_not_in_schema::RULE,
    &label_empty::RULE,
    &label_not_url::RULE,
    &label_not_rfc3339::RULE,
    &label_not_spdx::RULE,
    &label_not_git_hash::RULE,
    &label_not_semver::RULE,
    &healthcheck_missing::RULE,
    &label_not_email::RULE,
    &consecutive_runs::RULE,
    &yarn_cache_left::RULE,
    &instruction_before_from::RULE,
    &go_version_unpinned::RULE,
    &reserved_stage_name::RULE,
    &from_platform_redundant::RULE,
    &user_not_numeric::RULE,
    &copy_entire_stage_filesystem::RULE,
    &maintainer_deprecated::RULE,
    &curl_and_wget::RULE,
    &multiple_cmds::RULE,
    &multiple_entrypoints::RULE,
    &ln_replaces_bin_sh::RULE,
    &pipe_without_pipefail::RULE,
];

/// `span` widened to its whole lines (with the newline), if nothing else is on them: what a fix
/// deletes or moves when it removes an instruction.
pub(crate) fn whole_lines(
    source: &str,
    span: drydock_findings::Span,
) -> Option<drydock_findings::Span> {
    let start = source[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let end = source[span.end..]
        .find('\n')
        .map_or(source.len(), |i| span.end + i + 1);
    (source[start..span.start].trim().is_empty() && source[span.end..end].trim().is_empty())
        .then_some(drydock_findings::Span::new(start, end))
}

/// See [`crate::unpinned_bases`].
pub(crate) fn unpinned_bases(checker: &crate::Checker) -> Vec<String> {
    base_image_no_digest::unpinned(checker)
        .into_iter()
        .filter(|(_, literal)| *literal)
        .map(|(base, _)| base.name.to_string())
        .collect()
}

/// The rule with this code or name.
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|rule| rule.code.eq_ignore_ascii_case(code_or_name) || rule.name == code_or_name)
}
