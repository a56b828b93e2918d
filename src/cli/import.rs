//! `neuroplast import FILE -o scene.ron`: a connectome edge list (with positions and classes) or a
//! NeuroML2 network
//! as a scene file, checked by building it before it is written.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use neuroplast::files::{AtomicFile, FilePlan};
use neuroplast::io::edge_list::{self, EdgeListImport, import, match_key};
use neuroplast::say;
use neuroplast::scene::Scene;
use neuroplast::scene::format::InputSpec;
use neuroplast::sim::{Dim, Quantity};

/// `neuroplast import` options.
#[derive(Args)]
pub struct ImportArgs {
    /// Edge list: `Source,Target,Weight,Type` (chemical / electrical; Weight = contacts), a
    /// NeuroML2 network (`.nml`, `.xml`), or a SONATA circuit or simulation config (`.json`).
    pub edges: PathBuf,
    /// The scene file to write.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Positions: `neuron,x_um,y_um,z_um,...` (cells without one sit among their partners).
    #[arg(long)]
    pub positions: Option<PathBuf>,
    /// Classes: `name; description; lineage; class` (populations sensory, inter, motor, other).
    #[arg(long)]
    pub classes: Option<PathBuf>,
    /// Weight of one chemical contact.
    #[arg(long, default_value = edge_list::DEFAULT_CHEMICAL_WEIGHT, value_parser = quantity)]
    pub chemical_weight: Quantity,
    /// Conductance of one electrical contact.
    #[arg(long, default_value = edge_list::DEFAULT_GAP_CONDUCTANCE, value_parser = quantity)]
    pub gap_conductance: Quantity,
    /// Cells whose chemical synapses inhibit (comma-separated names, e.g. the GABAergic DD, VD,
    /// RME, AVL, DVB, RIS); the others excite.
    #[arg(long, value_delimiter = ',')]
    pub inhibitory: Vec<String>,
    /// Neurons (comma-separated names) given a current pulse, e.g. `ALML,ALMR,AVM` (touch).
    #[arg(long, value_delimiter = ',')]
    pub stimulate: Vec<String>,
    /// The pulse's amplitude.
    #[arg(long, default_value = "400 pA", value_parser = quantity)]
    pub stimulus: Quantity,
    /// When the pulse starts.
    #[arg(long, default_value = "100 ms", value_parser = quantity)]
    pub stimulus_from: Quantity,
    /// When it stops.
    #[arg(long, default_value = "300 ms", value_parser = quantity)]
    pub stimulus_to: Quantity,
    /// The scene's name (default: the edge list's file name).
    #[arg(long)]
    pub name: Option<String>,
    /// Put before the generated description (credits, what the scene shows).
    #[arg(long)]
    pub description: Option<String>,
}

fn quantity(s: &str) -> Result<Quantity, String> {
    Quantity::parse(s)
}

/// Imports, adds the stimulus, builds the scene once to check it, then writes it.
pub fn import_edges(a: ImportArgs) -> Result<()> {
    let mut plan = FilePlan::new().input("the edge list", &a.edges);
    for (role, p) in [("the positions", &a.positions), ("the classes", &a.classes)] {
        if let Some(p) = p {
            plan = plan.input(role, p);
        }
    }
    plan.output("--out", Some(&a.out))?;
    if a.edges.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        return import_sonata(a);
    }
    let spec = EdgeListImport {
        edges: &a.edges,
        positions: a.positions.as_deref(),
        classes: a.classes.as_deref(),
        chemical_weight: a.chemical_weight,
        gap_conductance: a.gap_conductance,
        inhibitory: &a.inhibitory,
    };
    let neuroml = a.edges.extension().is_some_and(|e| e.eq_ignore_ascii_case("nml") || e.eq_ignore_ascii_case("xml"));
    let mut imported = if neuroml {
        anyhow::ensure!(
            a.positions.is_none() && a.classes.is_none() && a.inhibitory.is_empty(),
            "--positions, --classes and --inhibitory are for edge lists; a NeuroML2 file carries its own"
        );
        let scene = neuroplast::io::neuroml::import(&a.edges).map_err(anyhow::Error::msg)?;
        let report = vec![format!(
            "NeuroML2: {} populations, {} projections, {} electrical projections, {} inputs",
            scene.populations.len(),
            scene.projections.len(),
            scene.gap_junctions.len(),
            scene.inputs.len()
        )];
        edge_list::Imported { scene, report }
    } else {
        import(&spec).map_err(anyhow::Error::msg)?
    };
    let scene = &mut imported.scene;
    if let Some(name) = a.name {
        scene.name = name;
    }
    if let Some(d) = a.description {
        scene.description = format!("{d} {}", scene.description);
    }
    anyhow::ensure!(
        a.stimulus_from.dim == Dim::Time && a.stimulus_to.dim == Dim::Time,
        "--stimulus-from/--stimulus-to must be times"
    );
    let mut unknown: Vec<&str> = a.stimulate.iter().map(String::as_str).collect();
    for p in &scene.populations {
        let ids: Vec<u32> = (0..p.neuron_names.len() as u32)
            .filter(|&i| a.stimulate.iter().any(|s| match_key(s) == match_key(&p.neuron_names[i as usize])))
            .collect();
        unknown.retain(|s| !p.neuron_names.iter().any(|n| match_key(n) == match_key(s)));
        if !ids.is_empty() {
            scene.inputs.push(InputSpec::Current {
                target: p.name.clone(),
                neurons: Some(ids),
                amplitude: a.stimulus,
                start: Some(a.stimulus_from),
                stop: Some(a.stimulus_to),
            });
        }
    }
    anyhow::ensure!(unknown.is_empty(), "--stimulate: no cell named {} in {}", unknown.join(", "), a.edges.display());
    if !a.stimulate.is_empty() {
        scene.description.push_str(&format!(
            " A {} pulse from {} to {} into {}.",
            a.stimulus,
            a.stimulus_from,
            a.stimulus_to,
            a.stimulate.join(", ")
        ));
    }
    let text = Scene::to_ron(scene);
    let origin = a.out.display().to_string();
    let built = Scene::parse(&text, &origin)?.build(None).context("the imported scene does not build")?;
    AtomicFile::save(&a.out, text.as_bytes())?;
    for line in &imported.report {
        say!("{line}");
    }
    say!(
        "wrote {} ({} neurons, {} synapses, builds and runs)",
        a.out.display(),
        built.network.num_neurons(),
        built.network.num_synapses()
    );
    Ok(())
}

/// A SONATA circuit: read whole (every error now), then a scene naming it by a path relative to
/// the scene's folder.
fn import_sonata(a: ImportArgs) -> Result<()> {
    anyhow::ensure!(
        a.positions.is_none() && a.classes.is_none() && a.inhibitory.is_empty() && a.stimulate.is_empty(),
        "--positions, --classes, --inhibitory and --stimulate are for edge lists; a SONATA circuit carries its own"
    );
    let folder = a.out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let written_as = neuroplast::io::sonata::path_from(&a.edges, folder);
    let mut imported = neuroplast::io::sonata::import(&a.edges, &written_as)?;
    if let Some(name) = a.name {
        imported.scene.name = name;
    }
    if let Some(d) = a.description {
        imported.scene.description = format!("{d} {}", imported.scene.description);
    }
    AtomicFile::save(&a.out, Scene::to_ron(&imported.scene).as_bytes())?;
    for line in &imported.report {
        say!("{line}");
    }
    say!(
        "wrote {} ({} neurons, {} synapses, read from {} and named by it as `{written_as}`)",
        a.out.display(),
        imported.neurons,
        imported.synapses,
        a.edges.display()
    );
    Ok(())
}
