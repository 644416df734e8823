from siliconflow_mcp import main

main()
