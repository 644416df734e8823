from siliconflow_emulator import main

main()
