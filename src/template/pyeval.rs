//! The Python 2 expression subset Ansible 1.2 `eval`s (`only_if`, `when`, `with_items` lists):
//! literals (strings, numbers, `True`/`False`/`None`, lists, tuples, dicts), `==` `!=` `<>` `<`
//! `<=` `>` `>=` `in` `not in` `is` `is not` (chained), `and` `or` `not`, `+ - * / % //`,
//! indexing, and the names `is_set`/`is_unset` (1.2's `when_set`) plus `int str float len bool`.
//! Anything else is an error, which callers treat like Python's `eval` raising.

use crate::value::{Map, Value};
use std::cmp::Ordering;

/// A Python value.
#[derive(Clone, Debug, PartialEq)]
pub enum PyVal {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<PyVal>),
    Tuple(Vec<PyVal>),
    Dict(Vec<(PyVal, PyVal)>),
    Func(&'static str),
}

impl PyVal {
    /// Python truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            PyVal::None => false,
            PyVal::Bool(b) => *b,
            PyVal::Int(i) => *i != 0,
            PyVal::Float(f) => *f != 0.0,
            PyVal::Str(s) => !s.is_empty(),
            PyVal::List(v) | PyVal::Tuple(v) => !v.is_empty(),
            PyVal::Dict(d) => !d.is_empty(),
            PyVal::Func(_) => true,
        }
    }

    /// The value as a variable value (tuples become lists).
    pub fn to_value(&self) -> Value {
        match self {
            PyVal::None | PyVal::Func(_) => Value::Null,
            PyVal::Bool(b) => Value::Bool(*b),
            PyVal::Int(i) => Value::from(*i),
            PyVal::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            PyVal::Str(s) => Value::String(s.clone()),
            PyVal::List(v) | PyVal::Tuple(v) => {
                Value::Array(v.iter().map(|x| x.to_value()).collect())
            }
            PyVal::Dict(d) => {
                let mut m = Map::new();
                for (k, v) in d {
                    let key = match k {
                        PyVal::Str(s) => s.clone(),
                        other => super::pyfmt::python_str(&other.to_value()),
                    };
                    m.insert(key, v.to_value());
                }
                Value::Object(m)
            }
        }
    }

    fn num(&self) -> Option<f64> {
        match self {
            PyVal::Bool(b) => Some(*b as i64 as f64),
            PyVal::Int(i) => Some(*i as f64),
            PyVal::Float(f) => Some(*f),
            _ => None,
        }
    }

    fn type_rank(&self) -> (u8, &'static str) {
        match self {
            PyVal::None => (0, ""),
            PyVal::Bool(_) | PyVal::Int(_) | PyVal::Float(_) => (1, ""),
            PyVal::Dict(_) => (2, "dict"),
            PyVal::Func(_) => (2, "builtin_function_or_method"),
            PyVal::List(_) => (2, "list"),
            PyVal::Str(_) => (2, "str"),
            PyVal::Tuple(_) => (2, "tuple"),
        }
    }
}

/// Python 2 `==`.
pub fn py_eq(a: &PyVal, b: &PyVal) -> bool {
    match (a.num(), b.num()) {
        (Some(x), Some(y)) => x == y,
        _ => match (a, b) {
            (PyVal::List(x), PyVal::List(y)) | (PyVal::Tuple(x), PyVal::Tuple(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
            }
            (PyVal::Dict(x), PyVal::Dict(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.iter().any(|(k2, v2)| py_eq(k, k2) && py_eq(v, v2)))
            }
            _ => a == b,
        },
    }
}

/// Python 2 ordering (mixed types ordered by type name, `None` first, numbers next).
pub fn py_cmp(a: &PyVal, b: &PyVal) -> Ordering {
    if let (Some(x), Some(y)) = (a.num(), b.num()) {
        return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    }
    match (a, b) {
        (PyVal::Str(x), PyVal::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (PyVal::List(x), PyVal::List(y)) | (PyVal::Tuple(x), PyVal::Tuple(y)) => {
            for (p, q) in x.iter().zip(y) {
                if !py_eq(p, q) {
                    return py_cmp(p, q);
                }
            }
            x.len().cmp(&y.len())
        }
        _ => a.type_rank().cmp(&b.type_rank()),
    }
}

/// An evaluation error (Python would raise; Ansible then treats the text as not evaluable).
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError(pub String);

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Name(String),
    Int(i64),
    Float(f64),
    Str(String),
    Op(&'static str),
}

const OPS: &[&str] = &[
    "==", "!=", "<>", "<=", ">=", "//", "**", "<", ">", "(", ")", "[", "]", "{", "}", ",", ":",
    "+", "-", "*", "/", "%", ".",
];

fn lex(src: &str) -> Result<Vec<Tok>, EvalError> {
    let b: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() || (c == '\\' && b.get(i + 1) == Some(&'\n')) {
            i += 1;
            continue;
        }
        // string literal, with optional u/r/b prefixes
        let mut j = i;
        let mut raw = false;
        while j < b.len() && j - i < 2 && matches!(b[j], 'u' | 'U' | 'r' | 'R' | 'b' | 'B') {
            if matches!(b[j], 'r' | 'R') {
                raw = true;
            }
            j += 1;
        }
        if j < b.len() && (b[j] == '\'' || b[j] == '"') {
            let q = b[j];
            let triple = b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q);
            let mut k = if triple { j + 3 } else { j + 1 };
            let mut s = String::new();
            loop {
                if k >= b.len() {
                    return Err(EvalError("EOL while scanning string literal".into()));
                }
                if triple {
                    if b[k] == q && b.get(k + 1) == Some(&q) && b.get(k + 2) == Some(&q) {
                        k += 3;
                        break;
                    }
                } else if b[k] == q {
                    k += 1;
                    break;
                } else if b[k] == '\n' {
                    return Err(EvalError("EOL while scanning string literal".into()));
                }
                if b[k] == '\\' && k + 1 < b.len() {
                    let e = b[k + 1];
                    if raw {
                        s.push('\\');
                        s.push(e);
                        k += 2;
                        continue;
                    }
                    k += 2;
                    match e {
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        'r' => s.push('\r'),
                        '0' => s.push('\0'),
                        '\\' => s.push('\\'),
                        '\'' => s.push('\''),
                        '"' => s.push('"'),
                        '\n' => {}
                        'x' if k + 2 <= b.len() => {
                            let hex: String = b[k..k + 2].iter().collect();
                            let v = u32::from_str_radix(&hex, 16)
                                .map_err(|_| EvalError("invalid \\x escape".into()))?;
                            s.push(char::from_u32(v).unwrap_or('?'));
                            k += 2;
                        }
                        other => {
                            s.push('\\');
                            s.push(other);
                        }
                    }
                    continue;
                }
                s.push(b[k]);
                k += 1;
            }
            // adjacent literals concatenate
            if let Some(Tok::Str(prev)) = out.last_mut() {
                prev.push_str(&s);
            } else {
                out.push(Tok::Str(s));
            }
            i = k;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && b.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let mut k = i;
            while k < b.len() && (b[k].is_ascii_alphanumeric() || b[k] == '.') {
                k += 1;
            }
            let text: String = b[i..k].iter().collect();
            let t = text.trim_end_matches(['L', 'l']);
            let tok = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                Tok::Int(
                    i64::from_str_radix(h, 16)
                        .map_err(|_| EvalError(format!("invalid token {text}")))?,
                )
            } else if t.contains(['.', 'e', 'E']) {
                Tok::Float(
                    t.parse()
                        .map_err(|_| EvalError(format!("invalid token {text}")))?,
                )
            } else if t.len() > 1 && t.starts_with('0') {
                Tok::Int(
                    i64::from_str_radix(&t[1..], 8)
                        .map_err(|_| EvalError(format!("invalid token {text}")))?,
                )
            } else {
                Tok::Int(
                    t.parse()
                        .map_err(|_| EvalError(format!("invalid token {text}")))?,
                )
            };
            out.push(tok);
            i = k;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let mut k = i;
            while k < b.len() && (b[k].is_alphanumeric() || b[k] == '_') {
                k += 1;
            }
            out.push(Tok::Name(b[i..k].iter().collect()));
            i = k;
            continue;
        }
        let rest: String = b[i..(i + 2).min(b.len())].iter().collect();
        match OPS.iter().find(|op| rest.starts_with(**op)) {
            Some(op) => {
                out.push(Tok::Op(op));
                i += op.chars().count();
            }
            None => return Err(EvalError(format!("invalid syntax at {c:?}"))),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone)]
enum Expr {
    Lit(PyVal),
    Name(String),
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(Box<Expr>, Vec<(&'static str, Expr)>),
    Bin(&'static str, Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Expr>),
    Index(Box<Expr>, Box<Expr>),
    Attr(Box<Expr>, String),
    IfElse(Box<Expr>, Box<Expr>, Box<Expr>),
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if *o == op)
    }
    fn is_name(&self, n: &str) -> bool {
        matches!(self.peek(), Some(Tok::Name(x)) if x == n)
    }
    fn expect_op(&mut self, op: &str) -> Result<(), EvalError> {
        if self.is_op(op) {
            self.pos += 1;
            Ok(())
        } else {
            Err(EvalError(format!("invalid syntax: expected {op}")))
        }
    }

    fn expr(&mut self) -> Result<Expr, EvalError> {
        let e = self.or_test()?;
        if self.is_name("if") {
            self.pos += 1;
            let cond = self.or_test()?;
            if !self.is_name("else") {
                return Err(EvalError("invalid syntax: expected else".into()));
            }
            self.pos += 1;
            let other = self.expr()?;
            return Ok(Expr::IfElse(Box::new(cond), Box::new(e), Box::new(other)));
        }
        Ok(e)
    }

    /// Top level: expression or a bare tuple `a, b`.
    fn top(&mut self) -> Result<Expr, EvalError> {
        let first = self.expr()?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.is_op(",") {
            self.pos += 1;
            if self.peek().is_none() {
                break;
            }
            items.push(self.expr()?);
        }
        Ok(Expr::Tuple(items))
    }

    fn or_test(&mut self) -> Result<Expr, EvalError> {
        let mut l = self.and_test()?;
        while self.is_name("or") {
            self.pos += 1;
            let r = self.and_test()?;
            l = Expr::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn and_test(&mut self) -> Result<Expr, EvalError> {
        let mut l = self.not_test()?;
        while self.is_name("and") {
            self.pos += 1;
            let r = self.not_test()?;
            l = Expr::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn not_test(&mut self) -> Result<Expr, EvalError> {
        if self.is_name("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not_test()?)));
        }
        self.comparison()
    }
    fn comp_op(&mut self) -> Option<&'static str> {
        let op = match self.peek()? {
            Tok::Op(o) if matches!(*o, "==" | "!=" | "<>" | "<" | ">" | "<=" | ">=") => {
                if *o == "<>" {
                    "!="
                } else {
                    o
                }
            }
            Tok::Name(n) if n == "in" => "in",
            Tok::Name(n) if n == "not" => {
                if matches!(self.toks.get(self.pos + 1), Some(Tok::Name(x)) if x == "in") {
                    self.pos += 1;
                    "not in"
                } else {
                    return None;
                }
            }
            Tok::Name(n) if n == "is" => {
                if matches!(self.toks.get(self.pos + 1), Some(Tok::Name(x)) if x == "not") {
                    self.pos += 1;
                    "is not"
                } else {
                    "is"
                }
            }
            _ => return None,
        };
        self.pos += 1;
        Some(op)
    }
    fn comparison(&mut self) -> Result<Expr, EvalError> {
        let first = self.arith()?;
        let mut rest = Vec::new();
        while let Some(op) = self.comp_op() {
            rest.push((op, self.arith()?));
        }
        if rest.is_empty() {
            Ok(first)
        } else {
            Ok(Expr::Compare(Box::new(first), rest))
        }
    }
    fn arith(&mut self) -> Result<Expr, EvalError> {
        let mut l = self.term()?;
        loop {
            let op = if self.is_op("+") {
                "+"
            } else if self.is_op("-") {
                "-"
            } else {
                break;
            };
            self.pos += 1;
            let r = self.term()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn term(&mut self) -> Result<Expr, EvalError> {
        let mut l = self.factor()?;
        loop {
            let op = ["*", "/", "//", "%"].into_iter().find(|o| self.is_op(o));
            let Some(op) = op else { break };
            self.pos += 1;
            let r = self.factor()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn factor(&mut self) -> Result<Expr, EvalError> {
        if self.is_op("-") {
            self.pos += 1;
            return Ok(Expr::Neg(Box::new(self.factor()?)));
        }
        if self.is_op("+") {
            self.pos += 1;
            return self.factor();
        }
        self.power()
    }
    fn power(&mut self) -> Result<Expr, EvalError> {
        let mut e = self.atom()?;
        loop {
            if self.is_op("(") {
                self.pos += 1;
                let args = self.list_until(")")?;
                e = Expr::Call(Box::new(e), args);
            } else if self.is_op("[") {
                self.pos += 1;
                let idx = self.expr()?;
                self.expect_op("]")?;
                e = Expr::Index(Box::new(e), Box::new(idx));
            } else if self.is_op(".") {
                self.pos += 1;
                match self.peek().cloned() {
                    Some(Tok::Name(n)) => {
                        self.pos += 1;
                        e = Expr::Attr(Box::new(e), n);
                    }
                    _ => return Err(EvalError("invalid syntax after .".into())),
                }
            } else {
                return Ok(e);
            }
        }
    }
    fn list_until(&mut self, close: &str) -> Result<Vec<Expr>, EvalError> {
        let mut items = Vec::new();
        while !self.is_op(close) {
            items.push(self.expr()?);
            if self.is_op(",") {
                self.pos += 1;
            } else if !self.is_op(close) {
                return Err(EvalError(format!("invalid syntax: expected {close}")));
            }
        }
        self.pos += 1;
        Ok(items)
    }
    fn atom(&mut self) -> Result<Expr, EvalError> {
        let tok = self
            .peek()
            .cloned()
            .ok_or_else(|| EvalError("unexpected EOF while parsing".into()))?;
        self.pos += 1;
        Ok(match tok {
            Tok::Int(i) => Expr::Lit(PyVal::Int(i)),
            Tok::Float(f) => Expr::Lit(PyVal::Float(f)),
            Tok::Str(s) => Expr::Lit(PyVal::Str(s)),
            Tok::Name(n) => match n.as_str() {
                "True" => Expr::Lit(PyVal::Bool(true)),
                "False" => Expr::Lit(PyVal::Bool(false)),
                "None" => Expr::Lit(PyVal::None),
                "and" | "or" | "not" | "in" | "is" | "if" | "else" | "lambda" | "import" => {
                    return Err(EvalError("invalid syntax".into()))
                }
                _ => Expr::Name(n),
            },
            Tok::Op("(") => {
                if self.is_op(")") {
                    self.pos += 1;
                    return Ok(Expr::Tuple(vec![]));
                }
                let first = self.expr()?;
                if self.is_op(")") {
                    self.pos += 1;
                    return Ok(first);
                }
                self.expect_op(",")?;
                let mut items = vec![first];
                items.extend(self.list_until(")")?);
                Expr::Tuple(items)
            }
            Tok::Op("[") => Expr::List(self.list_until("]")?),
            Tok::Op("{") => {
                let mut items = Vec::new();
                while !self.is_op("}") {
                    let k = self.expr()?;
                    self.expect_op(":")?;
                    let v = self.expr()?;
                    items.push((k, v));
                    if self.is_op(",") {
                        self.pos += 1;
                    } else if !self.is_op("}") {
                        return Err(EvalError("invalid syntax in dict".into()));
                    }
                }
                self.pos += 1;
                Expr::Dict(items)
            }
            Tok::Op(o) => return Err(EvalError(format!("invalid syntax at {o}"))),
        })
    }
}

fn type_error(msg: &str) -> EvalError {
    EvalError(format!("TypeError: {msg}"))
}

fn eval(e: &Expr) -> Result<PyVal, EvalError> {
    Ok(match e {
        Expr::Lit(v) => v.clone(),
        Expr::Name(n) => match n.as_str() {
            "is_set" => PyVal::Func("is_set"),
            "is_unset" => PyVal::Func("is_unset"),
            "int" => PyVal::Func("int"),
            "str" => PyVal::Func("str"),
            "float" => PyVal::Func("float"),
            "len" => PyVal::Func("len"),
            "bool" => PyVal::Func("bool"),
            other => {
                return Err(EvalError(format!(
                    "NameError: name '{other}' is not defined"
                )))
            }
        },
        Expr::List(items) => PyVal::List(items.iter().map(eval).collect::<Result<_, _>>()?),
        Expr::Tuple(items) => PyVal::Tuple(items.iter().map(eval).collect::<Result<_, _>>()?),
        Expr::Dict(items) => PyVal::Dict(
            items
                .iter()
                .map(|(k, v)| Ok((eval(k)?, eval(v)?)))
                .collect::<Result<_, EvalError>>()?,
        ),
        Expr::Not(x) => PyVal::Bool(!eval(x)?.truthy()),
        Expr::Neg(x) => match eval(x)? {
            PyVal::Int(i) => PyVal::Int(-i),
            PyVal::Bool(b) => PyVal::Int(-(b as i64)),
            PyVal::Float(f) => PyVal::Float(-f),
            _ => return Err(type_error("bad operand type for unary -")),
        },
        Expr::And(a, b) => {
            let l = eval(a)?;
            if !l.truthy() {
                l
            } else {
                eval(b)?
            }
        }
        Expr::Or(a, b) => {
            let l = eval(a)?;
            if l.truthy() {
                l
            } else {
                eval(b)?
            }
        }
        Expr::IfElse(c, a, b) => {
            if eval(c)?.truthy() {
                eval(a)?
            } else {
                eval(b)?
            }
        }
        Expr::Compare(first, rest) => {
            let mut left = eval(first)?;
            for (op, r) in rest {
                let right = eval(r)?;
                let ok = match *op {
                    "==" => py_eq(&left, &right),
                    "!=" => !py_eq(&left, &right),
                    "<" => py_cmp(&left, &right) == Ordering::Less,
                    ">" => py_cmp(&left, &right) == Ordering::Greater,
                    "<=" => py_cmp(&left, &right) != Ordering::Greater,
                    ">=" => py_cmp(&left, &right) != Ordering::Less,
                    "in" => contains(&right, &left)?,
                    "not in" => !contains(&right, &left)?,
                    "is" => is_same(&left, &right),
                    "is not" => !is_same(&left, &right),
                    _ => false,
                };
                if !ok {
                    return Ok(PyVal::Bool(false));
                }
                left = right;
            }
            PyVal::Bool(true)
        }
        Expr::Bin(op, a, b) => binop(op, eval(a)?, eval(b)?)?,
        Expr::Call(f, args) => {
            let f = eval(f)?;
            let args: Vec<PyVal> = args.iter().map(eval).collect::<Result<_, _>>()?;
            call(f, &args)?
        }
        Expr::Index(x, i) => {
            let (x, i) = (eval(x)?, eval(i)?);
            index(&x, &i)?
        }
        Expr::Attr(x, name) => {
            let x = eval(x)?;
            match (&x, name.as_str()) {
                (PyVal::Str(_), "lower" | "upper" | "strip") => PyVal::Tuple(vec![
                    PyVal::Func(match name.as_str() {
                        "lower" => "str.lower",
                        "upper" => "str.upper",
                        _ => "str.strip",
                    }),
                    x.clone(),
                ]),
                _ => return Err(EvalError(format!("AttributeError: {name}"))),
            }
        }
    })
}

fn is_same(a: &PyVal, b: &PyVal) -> bool {
    match (a, b) {
        (PyVal::None, PyVal::None) => true,
        (PyVal::Bool(x), PyVal::Bool(y)) => x == y,
        (PyVal::Int(x), PyVal::Int(y)) => x == y && (-5..=256).contains(x),
        _ => false,
    }
}

fn contains(container: &PyVal, item: &PyVal) -> Result<bool, EvalError> {
    Ok(match container {
        PyVal::Str(s) => match item {
            PyVal::Str(i) => s.contains(i.as_str()),
            _ => return Err(type_error("'in <string>' requires string as left operand")),
        },
        PyVal::List(v) | PyVal::Tuple(v) => v.iter().any(|x| py_eq(x, item)),
        PyVal::Dict(d) => d.iter().any(|(k, _)| py_eq(k, item)),
        _ => return Err(type_error("argument of type is not iterable")),
    })
}

fn binop(op: &str, a: PyVal, b: PyVal) -> Result<PyVal, EvalError> {
    use PyVal::*;
    let int = |v: &PyVal| -> Option<i64> {
        match v {
            Int(i) => Some(*i),
            Bool(b) => Some(*b as i64),
            _ => Option::None,
        }
    };
    if let (Some(x), Some(y)) = (int(&a), int(&b)) {
        return Ok(match op {
            "+" => Int(x.wrapping_add(y)),
            "-" => Int(x.wrapping_sub(y)),
            "*" => Int(x.wrapping_mul(y)),
            "/" | "//" | "%" if y == 0 => return Err(EvalError("ZeroDivisionError".into())),
            "/" | "//" => Int(x.div_euclid(y) - if (x % y != 0) && (y < 0) { 1 } else { 0 }),
            "%" => Int(((x % y) + y) % y),
            _ => return Err(type_error("unsupported operand")),
        });
    }
    if let (Some(x), Some(y)) = (a.num(), b.num()) {
        return Ok(match op {
            "+" => Float(x + y),
            "-" => Float(x - y),
            "*" => Float(x * y),
            "/" => Float(x / y),
            "//" => Float((x / y).floor()),
            "%" => Float(x - y * (x / y).floor()),
            _ => return Err(type_error("unsupported operand")),
        });
    }
    match (op, a, b) {
        ("+", Str(x), Str(y)) => Ok(Str(x + &y)),
        ("+", List(mut x), List(y)) => {
            x.extend(y);
            Ok(List(x))
        }
        ("+", Tuple(mut x), Tuple(y)) => {
            x.extend(y);
            Ok(Tuple(x))
        }
        ("*", Str(x), Int(n)) | ("*", Int(n), Str(x)) => Ok(Str(x.repeat(n.max(0) as usize))),
        _ => Err(type_error("unsupported operand type(s)")),
    }
}

fn index(x: &PyVal, i: &PyVal) -> Result<PyVal, EvalError> {
    match (x, i) {
        (PyVal::List(v) | PyVal::Tuple(v), PyVal::Int(n)) => {
            let idx = if *n < 0 { v.len() as i64 + n } else { *n };
            v.get(idx as usize)
                .cloned()
                .ok_or_else(|| EvalError("IndexError: list index out of range".into()))
        }
        (PyVal::Str(s), PyVal::Int(n)) => {
            let chars: Vec<char> = s.chars().collect();
            let idx = if *n < 0 { chars.len() as i64 + n } else { *n };
            chars
                .get(idx as usize)
                .map(|c| PyVal::Str(c.to_string()))
                .ok_or_else(|| EvalError("IndexError: string index out of range".into()))
        }
        (PyVal::Dict(d), k) => d
            .iter()
            .find(|(key, _)| py_eq(key, k))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| EvalError("KeyError".into())),
        _ => Err(type_error("object is not subscriptable")),
    }
}

fn call(f: PyVal, args: &[PyVal]) -> Result<PyVal, EvalError> {
    // bound string methods are (Func, self) tuples
    if let PyVal::Tuple(parts) = &f {
        if let [PyVal::Func(m), PyVal::Str(s)] = parts.as_slice() {
            return Ok(PyVal::Str(match *m {
                "str.lower" => s.to_lowercase(),
                "str.upper" => s.to_uppercase(),
                _ => s.trim().to_string(),
            }));
        }
    }
    let PyVal::Func(name) = f else {
        return Err(type_error("object is not callable"));
    };
    let arg = args
        .first()
        .ok_or_else(|| type_error(&format!("{name}() takes exactly one argument")))?;
    Ok(match name {
        "is_set" | "is_unset" => {
            let PyVal::Str(s) = arg else {
                return Err(EvalError("AttributeError: startswith".into()));
            };
            let unset = s.starts_with('$') || s.contains("{{");
            PyVal::Bool(if name == "is_set" { !unset } else { unset })
        }
        "int" => {
            match arg {
                PyVal::Int(i) => PyVal::Int(*i),
                PyVal::Bool(b) => PyVal::Int(*b as i64),
                PyVal::Float(f) => PyVal::Int(f.trunc() as i64),
                PyVal::Str(s) => PyVal::Int(s.trim().parse().map_err(|_| {
                    EvalError(format!("ValueError: invalid literal for int(): {s}"))
                })?),
                _ => return Err(type_error("int() argument must be a string or a number")),
            }
        }
        "float" => match arg.num() {
            Some(f) => PyVal::Float(f),
            None => match arg {
                PyVal::Str(s) => PyVal::Float(s.trim().parse().map_err(|_| {
                    EvalError("ValueError: could not convert string to float".into())
                })?),
                _ => return Err(type_error("float() argument must be a string or a number")),
            },
        },
        "str" => PyVal::Str(match arg {
            PyVal::Str(s) => s.clone(),
            other => super::pyfmt::python_str(&other.to_value()),
        }),
        "bool" => PyVal::Bool(arg.truthy()),
        "len" => match arg {
            PyVal::Str(s) => PyVal::Int(s.chars().count() as i64),
            PyVal::List(v) | PyVal::Tuple(v) => PyVal::Int(v.len() as i64),
            PyVal::Dict(d) => PyVal::Int(d.len() as i64),
            _ => return Err(type_error("object has no len()")),
        },
        _ => return Err(type_error("not callable")),
    })
}

/// Evaluate a Python 2 expression.
pub fn py_eval(src: &str) -> Result<PyVal, EvalError> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return Err(EvalError("unexpected EOF while parsing".into()));
    }
    let mut p = Parser { toks, pos: 0 };
    let e = p.top()?;
    if p.pos != p.toks.len() {
        return Err(EvalError("invalid syntax".into()));
    }
    eval(&e)
}

/// 1.2's `safe_eval`: refuse method calls on names and imports, otherwise `eval`; on any error
/// the text itself (as a string value).
pub fn safe_eval(src: &str) -> PyVal {
    if has_method_call(src) || has_import(src) {
        return PyVal::Str(src.to_string());
    }
    py_eval(src).unwrap_or_else(|_| PyVal::Str(src.to_string()))
}

/// `re.search(r'\w\.\w+\(', s)`.
fn has_method_call(s: &str) -> bool {
    let c: Vec<char> = s.chars().collect();
    let w = |x: char| x.is_alphanumeric() || x == '_';
    (1..c.len()).any(|i| {
        if c[i] != '.' || !w(c[i - 1]) {
            return false;
        }
        let mut j = i + 1;
        while j < c.len() && w(c[j]) {
            j += 1;
        }
        j > i + 1 && j < c.len() && c[j] == '('
    })
}

/// `re.search(r'import \w+', s)`.
fn has_import(s: &str) -> bool {
    s.match_indices("import ").any(|(i, _)| {
        s[i + 7..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(s: &str) -> PyVal {
        py_eval(s).unwrap()
    }

    #[test]
    fn corpus_only_if_expressions() {
        assert_eq!(ev("'core-01' == 'core-01'"), PyVal::Bool(true));
        assert_eq!(ev("'core-02' == 'core-01'"), PyVal::Bool(false));
        assert_eq!(ev("'$schema' == 'yes'"), PyVal::Bool(false));
        assert_eq!(
            ev("'core-02' == 'core-01' or 'core-02' == 'core-02'"),
            PyVal::Bool(true)
        );
        assert_eq!(ev("'a' == 'a' and 'no' == 'yes'"), PyVal::Bool(false));
        assert_eq!(ev(" True "), PyVal::Bool(true));
        assert_eq!(ev("not (1 < 2 < 3)"), PyVal::Bool(false));
        assert_eq!(
            ev("'a' in ['a', 'b'] and 'c' not in 'abd'"),
            PyVal::Bool(true)
        );
        assert_eq!(ev("is_set('''$x''')"), PyVal::Bool(false));
        assert_eq!(ev("7 / 2"), PyVal::Int(3));
        assert_eq!(ev("1 < 'a'"), PyVal::Bool(true));
        assert!(py_eval("$is_X").is_err());
        assert!(py_eval("{% if x %} True {% else %} False {% endif %}").is_err());
        assert!(py_eval("foo == 1").is_err());
    }

    #[test]
    fn literals_for_listify() {
        assert_eq!(
            ev("['695e84e6', u'b', 3]").to_value(),
            serde_json::json!(["695e84e6", "b", 3])
        );
        assert_eq!(
            ev("{'a': [1, 2]}").to_value(),
            serde_json::json!({"a": [1, 2]})
        );
        assert_eq!(
            safe_eval("os.system('x')"),
            PyVal::Str("os.system('x')".into())
        );
    }
}
