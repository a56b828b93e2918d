#!/bin/sh
# Rebuilds scenes/celegans.ron from the connectome in assets/celegans (Cook et al. 2019, positions
# from OpenWorm c302, classes from WormAtlas; see assets/celegans/README.md). tests/import.rs
# checks that the shipped scene equals what this command makes.
set -e
cd "$(dirname "$0")/.."
GABA=DD01,DD02,DD03,DD04,DD05,DD06,VD01,VD02,VD03,VD04,VD05,VD06,VD07,VD08,VD09,VD10,VD11,VD12,VD13,RMED,RMEV,RMEL,RMER,AVL,DVB,RIS
${NEUROPLAST:-cargo run --release --quiet --} import assets/celegans/herm_full_edgelist.csv \
    --positions assets/celegans/soma_positions.csv --classes assets/celegans/IndividualNeurons.csv \
    --chemical-weight "3 mV" --inhibitory "$GABA" \
    --stimulate ALML,ALMR,AVM --stimulus "1 nA" --stimulus-from "100 ms" --stimulus-to "300 ms" \
    --name "C. elegans: a touch travels to the command interneurons" \
    --description "The hermaphrodite connectome of Cook et al. 2019 (chemical synapses directed, gap junctions as couplings), each neuron at its soma position, populations by class (WormAtlas). Touch neurons ALM and AVM are stimulated at 100 ms; watch AVD, PVC, AVA and AVB, then the motor neurons, take over." \
    -o "${1:-scenes/celegans.ron}"
