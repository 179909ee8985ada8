//! Shared queries of the label-schema rules (DD3049–DD3058): the labels of the image being built
//! and the check of a value's form.

use drydock_dockerfile::{InstructionKind, Span};

use super::security_helpers::unquote_once;
use crate::hadolint_config::LabelType;
use crate::{Checker, Diagnostic};

/// One `key=value` of a `LABEL`, quotes removed.
pub(crate) struct Label<'a> {
    pub key: &'a str,
    pub key_span: Span,
    pub value: &'a str,
    pub value_span: Span,
}

/// The labels set in the stages that end up in the image being built, in file order. Labels of
/// other build stages never reach the image.
pub(crate) fn image_labels<'a>(checker: &Checker<'a>) -> Vec<Label<'a>> {
    let mut labels = Vec::new();
    for (index, instruction) in checker.file.instructions.iter().enumerate() {
        let InstructionKind::Label(pairs) = &instruction.kind else {
            continue;
        };
        if !checker.in_final_image(index) {
            continue;
        }
        labels.extend(pairs.iter().map(|pair| Label {
            key: unquote_once(&pair.key.text),
            key_span: pair.key.span,
            value: unquote_once(&pair.value.text),
            value_span: pair.value.span,
        }));
    }
    labels
}

/// Report every label of the image whose schema type is `kind` and whose value is not `valid`.
/// Empty values (DD3051's concern) and values from build arguments are not judged.
pub(crate) fn report_invalid_values(
    checker: &mut Checker,
    kind: LabelType,
    valid: fn(&str) -> bool,
    expected: &str,
) {
    let schema = &checker.settings.label_schema;
    let findings: Vec<Diagnostic> = image_labels(checker)
        .into_iter()
        .filter(|label| schema.get(label.key) == Some(&kind))
        .filter(|label| !label.value.is_empty() && !label.value.contains('$'))
        .filter(|label| !valid(label.value))
        .map(|label| {
            Diagnostic::new(
                label.value_span,
                format!(
                    "label `{}` should be {expected}: `{}` is not",
                    label.key, label.value
                ),
            )
            .help(format!("write {expected}, as the label schema asks"))
        })
        .collect();
    for finding in findings {
        checker.report(finding);
    }
}
