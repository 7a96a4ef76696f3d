//! The `member` schema's types and the data literals of tests: on one line when short,
//! one field (or item) per line when long or when a comment sits inside.

use crate::ast::{DataKind, DataValue, FieldDecl, TypeExpr, TypeKind};

use super::block::Block;
use super::literal::{
    author_quote, choose_quote, float_text, int_text, key_text, quoted, written_bare,
};
use super::printer::Printer;

impl Printer<'_> {
    /// `name: type`
    pub fn field_decl(&mut self, field: &FieldDecl) {
        self.inline_comments(field.name.span.start as usize);
        let bare = written_bare(self.source, field.name.span.start as usize);
        self.text(&key_text(&field.name.name, bare));
        self.text(":");
        self.inline_comments(field.ty.span.start as usize);
        self.text(" ");
        self.type_expr(&field.ty);
    }

    /// A type of the schema.
    pub fn type_expr(&mut self, ty: &TypeExpr) {
        self.inline_comments(ty.span.start as usize);
        let end = ty.span.end as usize;
        match &ty.kind {
            TypeKind::Int => self.text("int"),
            TypeKind::Float => self.text("float"),
            TypeKind::Bool => self.text("bool"),
            TypeKind::String => self.text("string"),
            TypeKind::Date => self.text("date"),
            TypeKind::DateTime => self.text("datetime"),
            TypeKind::Unknown(name) => self.text(name),
            TypeKind::List(item) => {
                self.text("[");
                self.type_expr(item);
                self.inline_comments(end);
                self.text("]");
            }
            TypeKind::Enum(values) => {
                for (index, value) in values.iter().enumerate() {
                    self.inline_comments(value.span.start as usize);
                    if index > 0 {
                        self.text(" | ");
                    }
                    self.string_literal(&value.value, value.span.start as usize);
                }
            }
            TypeKind::Optional(inner) => {
                self.type_expr(inner);
                self.inline_comments(end);
                self.text("?");
            }
            TypeKind::Object(fields) => self.object_type(ty, fields),
        }
    }

    fn object_type(&mut self, ty: &TypeExpr, fields: &[FieldDecl]) {
        let (start, end) = (ty.span.start as usize, ty.span.end as usize);
        let flat = self.fits_flat(start, end, |p| p.object_type_flat(fields));
        if flat {
            self.object_type_flat(fields);
            return;
        }
        let block = Block {
            open: "{",
            close: "}",
            header_end: start + 1,
            end,
            commas: false,
        };
        self.block(
            block,
            fields,
            |_, f| (f.span.start as usize, f.span.end as usize),
            |p, f| p.field_decl(f),
        );
    }

    fn object_type_flat(&mut self, fields: &[FieldDecl]) {
        if fields.is_empty() {
            self.text("{}");
            return;
        }
        self.text("{ ");
        for (index, field) in fields.iter().enumerate() {
            if index > 0 {
                self.text(", ");
            }
            self.field_decl(field);
        }
        self.text(" }");
    }

    /// A string literal outside expressions (labels, names, data), quoted canonically.
    pub fn string_literal(&mut self, value: &str, start: usize) {
        let author = author_quote(self.source, start);
        let quote = choose_quote(author, std::iter::once(value));
        self.text(&quoted(value, quote));
    }

    /// A data literal (a test's snapshot and what it holds).
    pub fn data(&mut self, value: &DataValue) {
        let (start, end) = (value.span.start as usize, value.span.end as usize);
        self.inline_comments(start);
        let written = self.slice(start, end);
        match &value.kind {
            DataKind::Null => self.text("null"),
            DataKind::Bool(flag) => self.text(if *flag { "true" } else { "false" }),
            DataKind::Int(number) => self.text(&int_text(*number, written)),
            DataKind::Float(number) => self.text(&float_text(*number, written)),
            DataKind::Str(text) => self.string_literal(text, start),
            DataKind::List(items) => {
                if self.fits_flat(start, end, |p| p.data_list_flat(items)) {
                    self.data_list_flat(items);
                } else {
                    let block = Block {
                        open: "[",
                        close: "]",
                        header_end: start + 1,
                        end,
                        commas: true,
                    };
                    self.block(
                        block,
                        items,
                        |_, v| (v.span.start as usize, v.span.end as usize),
                        |p, v| p.data(v),
                    );
                }
            }
            DataKind::Object(fields) => {
                if self.fits_flat(start, end, |p| p.data_object_flat(fields)) {
                    self.data_object_flat(fields);
                } else {
                    let block = Block {
                        open: "{",
                        close: "}",
                        header_end: start + 1,
                        end,
                        commas: true,
                    };
                    self.block(
                        block,
                        fields,
                        |_, (k, v)| (k.span.start as usize, v.span.end as usize),
                        |p, (k, v)| p.data_field(k, v),
                    );
                }
            }
        }
    }

    fn data_field(&mut self, key: &crate::ast::Ident, value: &DataValue) {
        self.inline_comments(key.span.start as usize);
        let bare = written_bare(self.source, key.span.start as usize);
        self.text(&key_text(&key.name, bare));
        self.text(":");
        self.inline_comments(value.span.start as usize);
        self.text(" ");
        self.data(value);
    }

    fn data_list_flat(&mut self, items: &[DataValue]) {
        self.text("[");
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                self.text(", ");
            }
            self.data(item);
        }
        self.text("]");
    }

    fn data_object_flat(&mut self, fields: &[(crate::ast::Ident, DataValue)]) {
        if fields.is_empty() {
            self.text("{}");
            return;
        }
        self.text("{ ");
        for (index, (key, value)) in fields.iter().enumerate() {
            if index > 0 {
                self.text(", ");
            }
            self.data_field(key, value);
        }
        self.text(" }");
    }
}
