//! The pipeline examples (examples/pipelines/): read as YAML, checked for what the provider
//! needs (GitHub's `id-token: write`, Azure DevOps' `SYSTEM_ACCESSTOKEN` mapping and token
//! URL, every variable of the configuration), then the scenario they run is applied with
//! exactly the environment they give it, against the emulator's CI stand-ins.

use super::*;

/// A pipeline example, read as YAML.
fn pipeline(name: &str) -> (String, serde_yaml::Value) {
    let path = examples_root().join("pipelines").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let yaml = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    (text, yaml)
}

/// `map`'s string entries.
fn string_map(map: &serde_yaml::Value) -> Vec<(String, String)> {
    let entries = map
        .as_mapping()
        .unwrap_or_else(|| panic!("not a mapping: {map:?}"));
    entries
        .iter()
        .map(|(k, v)| {
            let text = |x: &serde_yaml::Value| {
                x.as_str()
                    .unwrap_or_else(|| panic!("{x:?} is not a string"))
                    .to_string()
            };
            (text(k), text(v))
        })
        .collect()
}

/// `text` with every `{open}NAME{close}` replaced by `value(NAME)`; panics on a name
/// `value` does not know, so a variable the pipeline uses but the test (and its header
/// comment) does not list cannot slip through.
fn substitute(text: &str, open: &str, close: &str, value: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(open) {
        out.push_str(&rest[..i]);
        let after = &rest[i + open.len()..];
        let j = after
            .find(close)
            .unwrap_or_else(|| panic!("unclosed {open} in {text}"));
        out.push_str(&value(after[..j].trim()));
        rest = &after[j + close.len()..];
    }
    out.push_str(rest);
    out
}

/// The variables of the scenario the pipelines run, from its `variable` blocks.
fn scenario_variables() -> Vec<String> {
    let main = examples_root().join("scenarios/github-actions-oidc/main.tf");
    let text = std::fs::read_to_string(main).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("variable \""))
        .filter_map(|l| l.split('"').next())
        .map(str::to_string)
        .collect()
}

fn github_actions() -> Example {
    Example {
        dir: "scenarios/github-actions-oidc",
        before: Before::DeployerTrustsGithub,
        env: &[],
        creates: &[(CI_OBJECT, "runtime-identity")],
        exchanges_at_apply: false,
    }
}

#[test]
fn github_actions_workflow_runs_the_scenario_as_written() {
    let (text, wf) = pipeline("github-actions.yml");
    // The job may request its OIDC token: the runner then sets the two variables.
    assert_eq!(wf["permissions"]["id-token"].as_str(), Some("write"));
    let job = &wf["jobs"]["terraform"];
    let dir = job["defaults"]["run"]["working-directory"]
        .as_str()
        .unwrap();
    assert_eq!(dir, format!("examples/{}", github_actions().dir));
    let steps: Vec<&str> = job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    for command in ["terraform init", "terraform plan", "terraform apply"] {
        assert!(
            steps.iter().any(|s| s.starts_with(command)),
            "{command}: {steps:?}"
        );
    }
    let env = string_map(&job["env"]);
    let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    for read in ["ARM_TENANT_ID", "ARM_CLIENT_ID", "ARM_USE_OIDC"] {
        assert!(names.contains(&read), "{read} missing: {names:?}");
    }
    for v in scenario_variables() {
        assert!(
            names.contains(&format!("TF_VAR_{v}").as_str()),
            "TF_VAR_{v}"
        );
    }

    // Every repository variable the workflow reads, as its header tells users to set them.
    let vars = |name: &str| -> String {
        let name = name
            .strip_prefix("vars.")
            .unwrap_or_else(|| panic!("{name}: only repository variables"));
        assert!(
            text.lines()
                .take_while(|l| l.starts_with('#'))
                .any(|l| l.trim_start_matches('#').trim().starts_with(name)),
            "the header does not list {name}"
        );
        match name {
            "AZURE_TENANT_ID" => HOME,
            "AZURE_CLIENT_ID" => DEPLOYER_CLIENT,
            "API_APPLICATION_OBJECT_ID" => CI_OBJECT,
            "RUNTIME_IDENTITY_PRINCIPAL_ID" => IDENTITY_PRINCIPAL,
            other => panic!("no test value for vars.{other}"),
        }
        .to_string()
    };
    let example = github_actions();
    let emu = emulator(seed(), example.before);
    let mut run_env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.clone(), substitute(v, "${{", "}}", &vars)))
        .collect();
    // What GitHub's runner adds for `id-token: write`.
    run_env.push((
        "ACTIONS_ID_TOKEN_REQUEST_URL".into(),
        format!("{}/_emulator/github/token", emu.url),
    ));
    run_env.push((
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN".into(),
        "emulator-request-token".into(),
    ));
    apply_as_written(&emu, &example, &run_env);
}

#[test]
fn azure_devops_pipeline_runs_the_scenario_as_written() {
    let (_, p) = pipeline("azure-pipelines.yml");
    let step = &p["steps"][0];
    let dir = step["workingDirectory"].as_str().unwrap();
    assert_eq!(dir, format!("examples/{}", github_actions().dir));
    let script = step["script"].as_str().unwrap();
    assert!(
        script.contains("terraform init") && script.contains("terraform apply"),
        "{script}"
    );
    let env = string_map(&step["env"]);
    let get = |k: &str| {
        env.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{k} is not in the step's env"))
    };
    // The job's token reaches the step only when mapped.
    assert_eq!(get("SYSTEM_ACCESSTOKEN"), "$(System.AccessToken)");
    let url = get("ARM_OIDC_REQUEST_URL");
    assert!(
        url.starts_with("$(System.OidcRequestUri)?")
            && url.contains("api-version=")
            && url.contains("serviceConnectionId=$(serviceConnectionId)"),
        "{url}"
    );
    assert_eq!(get("ARM_USE_OIDC"), "true");
    for read in ["ARM_TENANT_ID", "ARM_CLIENT_ID"] {
        get(read);
    }
    for v in scenario_variables() {
        get(&format!("TF_VAR_{v}"));
    }

    let variables = string_map(&p["variables"]);
    let example = Example {
        before: Before::DeployerTrustsDevOps,
        ..github_actions()
    };
    let emu = emulator(seed(), example.before);
    let value = |name: &str| -> String {
        match name {
            "System.OidcRequestUri" => format!("{}/_emulator/devops/oidctoken", emu.url),
            "System.AccessToken" => "emulator-request-token".into(),
            other => {
                assert!(
                    variables.iter().any(|(k, _)| k == other),
                    "$({other}) is not a pipeline variable"
                );
                match other {
                    "serviceConnectionId" => SERVICE_CONNECTION,
                    "tenantId" => HOME,
                    "deployerClientId" => DEPLOYER_CLIENT,
                    "apiApplicationObjectId" => CI_OBJECT,
                    "runtimeIdentityPrincipalId" => IDENTITY_PRINCIPAL,
                    _ => panic!("no test value for $({other})"),
                }
                .to_string()
            }
        }
    };
    let run_env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.clone(), substitute(v, "$(", ")", &value)))
        .collect();
    // The deployer app trusts only the service connection's tokens: the apply signs in
    // with the token the step's environment lets the provider request.
    apply_as_written(&emu, &example, &run_env);
}

#[test]
fn every_pipeline_example_is_checked() {
    let mut files: Vec<String> = std::fs::read_dir(examples_root().join("pipelines"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    assert_eq!(files, ["azure-pipelines.yml", "github-actions.yml"]);
}
