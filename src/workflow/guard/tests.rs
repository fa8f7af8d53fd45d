use super::*;

#[test]
fn referenced_fields_skip_strings_and_containers() {
    assert_eq!(
        referenced_fields("counters.payment_attempts < 3 && attrs.tier == 'amount'"),
        vec!["counters.payment_attempts", "attrs.tier"]
    );
    assert_eq!(
        referenced_fields("days_since_placed < 7.0 && amount_cents < 10000"),
        vec!["days_since_placed", "amount_cents"]
    );
}

#[test]
fn unknown_variables_are_refused_at_compile_time() {
    let error = Expression::compile("amountt > 3").unwrap_err().to_string();
    assert!(error.contains("unknown field \"amountt\""), "{error}");
    assert!(Expression::compile("amount >").is_err());
}

#[test]
fn size_nesting_and_depth_are_bounded_before_evaluation() {
    let long = format!("amount > 1.0{}", " ".repeat(MAX_EXPRESSION_BYTES));
    assert!(matches!(
        Expression::compile(&long),
        Err(GuardError::TooLong { .. })
    ));
    let nested = format!("{}true{}", "(".repeat(40), ")".repeat(40));
    assert_eq!(
        Expression::compile(&nested).unwrap_err(),
        GuardError::NestedTooDeeply {
            column: MAX_BRACKET_NESTING + 1
        }
    );
    // Brackets in strings are text.
    assert!(Expression::compile(&format!("state == '{}'", "(".repeat(40))).is_ok());
    let chain = format!("{}1 == 1", "1 + ".repeat(MAX_EXPRESSION_DEPTH));
    assert_eq!(
        Expression::compile(&chain).unwrap_err(),
        GuardError::TooDeep
    );
}

/// The deepest guards allowed, an operator chain and nested comprehensions, evaluate on a
/// 2 MiB stack, a test thread's or a tokio worker's.
#[test]
fn the_deepest_guards_evaluate_on_a_small_stack() {
    let deepest = |shape: &dyn Fn(usize) -> String| {
        let mut last = None;
        for n in 1.. {
            match Expression::compile(&shape(n)) {
                Ok(expression) => last = Some(expression),
                Err(_) => break,
            }
        }
        last.expect("a shallow one compiles")
    };
    let chain = deepest(&|n| format!("{}1 == 0", "1 + ".repeat(n)));
    let exists = deepest(&|n| {
        let mut text = "1 == 0".to_string();
        for level in 0..n {
            text = format!("[1].exists(x{level}, {text})");
        }
        text
    });
    for expression in [chain, exists] {
        let source = expression.source.clone();
        let verdict = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                let at = Utc::now();
                let order = Order {
                    id: 1,
                    workflow: "w".into(),
                    state: "open".into(),
                    version: 1,
                    customer: "c".into(),
                    seller: "s".into(),
                    title: String::new(),
                    amount_cents: 0,
                    currency: "EUR".into(),
                    placed_at: at,
                    due_at: None,
                    state_entered_at: at,
                    attrs: BTreeMap::new(),
                    counters: BTreeMap::new(),
                    timer: None,
                };
                let actor = Actor::new("ada", crate::domain::Role::Admin);
                let facts = GuardFacts::new(&order, &actor, at, &[], &BTreeMap::new());
                expression.evaluate(&facts)
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(verdict, Ok(Value::Bool(false)), "{source}");
    }
}
