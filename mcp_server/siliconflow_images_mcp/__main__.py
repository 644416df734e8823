from siliconflow_images_mcp import main

main()
