"""Signal receivers of listening (connected in ListeningConfig.ready)."""
