// BitcoinAddresses
