//! Patient blocks (`settle … per patient per year`) against the unit blocks.
//!
//! A patient block clears one patient's year, apart from the units' ledger:
//! it sets declared ledger amounts of the patient ledger only (the standard
//! ones are refused where they are set, in `settle`). Checked here, since it
//! needs every block: no amount is set by both patient and unit blocks, and
//! each kind of block reads only amounts its own kind sets — a patient block
//! cannot know an institution's amount, nor a unit block a patient's.

use super::Checker;
use crate::diagnostic::Diagnostic;
use crate::ir::UnitKind;
use crate::schema::ledger::COLUMNS;
use crate::source::Span;

impl Checker {
    /// Pass 5, after the order: patient and unit blocks keep to their own amounts.
    pub(super) fn patient_amounts(&mut self) {
        // Where each amount is first set by a patient block, and by a unit block.
        let mut by_patient: Vec<(u16, Span)> = Vec::new();
        let mut by_unit: Vec<(u16, Span)> = Vec::new();
        for b in &self.prog.settles {
            let into = if b.unit == UnitKind::Patient {
                &mut by_patient
            } else {
                &mut by_unit
            };
            for st in &b.body {
                if let Some(c) = st.ledger_write() {
                    if !into.iter().any(|x| x.0 == c) {
                        into.push((c, st.span()));
                    }
                }
            }
        }
        let mut errors = Vec::new();
        // The patient ledger holds numbers: a text, bool or date amount has
        // no column type there (it would be written as its code).
        for b in self
            .prog
            .settles
            .iter()
            .filter(|b| b.unit == UnitKind::Patient)
        {
            for st in &b.body {
                if let crate::ir::Stmt::SetLedgerVal(c, _, at) = st {
                    let name = self.ledger_name(*c);
                    errors.push(
                        Diagnostic::error(format!(
                            "a patient block sets numbers; `{name}` is not a number"
                        ))
                        .at(*at)
                        .label("set for a patient")
                        .help("the patient ledger holds numbers only (money, ratios, counts, days, months): a text, bool or date per patient and year is not supported yet; set a number the flag is read from (`二次 = …`), or set the flag in a unit block"),
                    );
                }
            }
        }
        for &(c, unit_at) in &by_unit {
            if let Some(&(_, patient_at)) = by_patient.iter().find(|x| x.0 == c) {
                let name = self.ledger_name(c);
                errors.push(
                    Diagnostic::error(format!(
                        "`{name}` is set both by a patient block and by a unit block"
                    ))
                    .at(unit_at)
                    .label("set for a unit here")
                    .note(patient_at, "set for a patient here")
                    .help(format!(
                        "the patient ledger and the units' ledger are apart: declare two amounts (e.g. `ledger {name}_机构: money`) and set each in one kind of block"
                    )),
                );
            }
        }
        for b in &self.prog.settles {
            let patient = b.unit == UnitKind::Patient;
            for &(c, at) in b.reads.iter().flatten() {
                let own = if patient { &by_patient } else { &by_unit };
                let other = if patient { &by_unit } else { &by_patient };
                if own.iter().any(|x| x.0 == c) {
                    continue;
                }
                let name = self.ledger_name(c);
                if patient && ((c as usize) < COLUMNS.len() || other.iter().any(|x| x.0 == c)) {
                    errors.push(
                        Diagnostic::error(format!(
                            "`{name}` is an amount of the units' ledger; a patient block cannot read it"
                        ))
                        .at(at)
                        .label("read for a patient")
                        .help("a patient has claims at several institutions: a patient block reads the patient's claims through aggregates, parameters, and amounts that patient blocks set"),
                    );
                } else if !patient && other.iter().any(|x| x.0 == c) {
                    errors.push(
                        Diagnostic::error(format!(
                            "`{name}` is an amount of the patient ledger; a unit block cannot read it"
                        ))
                        .at(at)
                        .label("read for a unit")
                        .help("patient blocks set it per patient and year, after the units are settled; a unit block adds up claims with aggregates"),
                    );
                }
            }
        }
        for d in errors {
            self.error(d);
        }
    }
}
