"""Running checks against a target: the registry, the runner, the target and its transport,
pacing, state setup, the steps checks share, and curl reproductions."""
