"""The methodology designer's workbench: the pathway library, diagrams, the editor, simulation, migration."""
