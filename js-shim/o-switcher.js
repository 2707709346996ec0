// placeholder: the OpenCode shim (issue 2)
export const OSwitcher = async () => ({});
