// ChainSources
