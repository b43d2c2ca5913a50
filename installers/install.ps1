<#
.SYNOPSIS
  Install GLM-Image Studio from this checkout on Windows: an isolated virtual environment, the
  torch build for this machine, the app (editable, so it keeps using this checkout's resources\),
  and a Start-menu shortcut. Model weights are not downloaded here: the app offers the demo model
  or the real download on first start (`python main.py models download zai-org/GLM-Image`).

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File installers\install.ps1
.EXAMPLE
  powershell -ExecutionPolicy Bypass -File installers\install.ps1 -Yes -NoLaunch    # unattended
#>
param(
    [switch]$Yes,                 # never ask (also -NonInteractive hosts)
    [switch]$Launch,              # start the app at the end (default: only when interactive)
    [switch]$NoLaunch,
    [string]$Venv = "",           # default: <checkout>\.venv
    [string]$Python = "",         # default: the newest Python 3.11+ the py launcher knows, else python
    [ValidateSet("auto", "cuda", "cpu", "skip")][string]$Torch = "auto",
    [string]$TorchVersion = "2.13.0",
    [switch]$Dev,                 # also the test tools (.[dev])
    [switch]$NoShortcut
)
$ErrorActionPreference = "Stop"

$Root = (Resolve-Path (Join-Path $PSScriptRoot "..")).Path
if (-not (Test-Path (Join-Path $Root "pyproject.toml"))) { throw "Run me from a GLM-Image Studio checkout (no pyproject.toml in $Root)." }
if (-not $Venv) { $Venv = Join-Path $Root ".venv" }
$Interactive = -not $Yes -and [Environment]::UserInteractive -and -not ([Environment]::GetCommandLineArgs() -match '^-NonI')
$DoLaunch = if ($NoLaunch) { $false } elseif ($Launch) { $true } else { $Interactive }

function Invoke-Checked([string]$exe, [string[]]$arguments) {
    & $exe @arguments
    if ($LASTEXITCODE -ne 0) { throw "$exe $($arguments -join ' ') failed (exit $LASTEXITCODE)" }
}

# --- Python 3.11+ ---------------------------------------------------------------------------------
$PythonArgs = @()
if (-not $Python) {
    foreach ($v in "3.13", "3.12", "3.11") {
        if (Get-Command py -ErrorAction SilentlyContinue) {
            & py "-$v" -c "import sys" 2>$null
            if ($LASTEXITCODE -eq 0) { $Python = "py"; $PythonArgs = @("-$v"); break }
        }
    }
    if (-not $Python) { $Python = "python" }
}
& $Python @PythonArgs -c "import sys; sys.exit(sys.version_info < (3, 11))"
if ($LASTEXITCODE -ne 0) { throw "Python 3.11 or newer is needed (python.org), or pass -Python C:\path\to\python.exe" }

# --- Which torch ------------------------------------------------------------------------------------
$TorchIndex = ""
if ($Torch -eq "auto") {
    $Torch = if ((Get-Command nvidia-smi -ErrorAction SilentlyContinue) -and ((& nvidia-smi 2>$null) -ne $null)) { "cuda" } else { "cpu" }
}
if ($Torch -eq "cuda") {
    # The newest CUDA build the driver can run ("CUDA Version" in nvidia-smi is the driver's maximum).
    $m = [regex]::Match((& nvidia-smi | Out-String), "CUDA Version:\s*(\d+)\.(\d+)")
    $cuda = if ($m.Success) { [int]$m.Groups[1].Value * 10 + [int]$m.Groups[2].Value } else { 0 }
    if ($cuda -ge 130) { $tag = "cu130" } elseif ($cuda -ge 128) { $tag = "cu128" } elseif ($cuda -ge 126) { $tag = "cu126" }
    else { throw "The NVIDIA driver is too old for the CUDA builds (needs CUDA 12.6+): update it, or use -Torch cpu" }
    $TorchIndex = "https://download.pytorch.org/whl/$tag"
}
# On Windows the default PyPI torch wheel is the CPU build: no extra index needed for -Torch cpu.
if ($TorchIndex) {
    # An unreachable extra index costs pip ~15 s of retries per package: check once.
    try { Invoke-WebRequest -Uri "$TorchIndex/torch/" -Method Head -TimeoutSec 8 -UseBasicParsing | Out-Null }
    catch { Write-Warning "$TorchIndex cannot be reached; torch comes from the configured package index (PyPI: CPU build)"; $TorchIndex = "" }
}

Write-Host "==> checkout:     $Root"
Write-Host "==> environment:  $Venv"
Write-Host "==> torch:        $Torch $(if ($TorchIndex) { "from $TorchIndex" })"
if ($Interactive) {
    $answer = Read-Host "Continue? [Y/n]"
    if ($answer -match '^[nN]') { Write-Host "nothing changed"; exit 0 }
}

# --- Environment, torch, app ---------------------------------------------------------------------
$VenvPython = Join-Path $Venv "Scripts\python.exe"
if (-not (Test-Path $VenvPython)) { Invoke-Checked $Python ($PythonArgs + @("-m", "venv", $Venv)) }
Invoke-Checked $VenvPython @("-m", "pip", "install", "--upgrade", "pip")
if ($Torch -ne "skip") {
    $torchArgs = @("-m", "pip", "install", "torch==$TorchVersion")
    # --extra-index-url, not --index-url: torch's own dependencies still come from the usual index.
    if ($TorchIndex) { $torchArgs += @("--extra-index-url", $TorchIndex) }
    Invoke-Checked $VenvPython $torchArgs
}
$extras = if ($Dev) { "keyring,dev" } else { "keyring" }  # keyring: the hub token goes to Windows Credential Manager
Invoke-Checked $VenvPython @("-m", "pip", "install", "-e", "$Root[$extras]")
Invoke-Checked $VenvPython @((Join-Path $Root "main.py"), "--version")

# --- Start-menu shortcut ----------------------------------------------------------------------------
if (-not $NoShortcut) {
    $programs = [Environment]::GetFolderPath("Programs")  # the user's Start menu, no admin rights needed
    $link = Join-Path $programs "GLM-Image Studio.lnk"
    $shell = New-Object -ComObject WScript.Shell
    $shortcut = $shell.CreateShortcut($link)
    $shortcut.TargetPath = Join-Path $Venv "Scripts\pythonw.exe"  # pythonw: no console window behind the app
    $shortcut.Arguments = "`"$(Join-Path $Root 'main.py')`""
    $shortcut.WorkingDirectory = $Root
    $shortcut.Description = "Design posters with the GLM-Image model, on your own machine"
    $shortcut.Save()
    Write-Host "==> Start menu:   $link"
}

Write-Host "==> done. Start it with: $VenvPython $Root\main.py"
if ($DoLaunch) {
    Start-Process -FilePath (Join-Path $Venv "Scripts\pythonw.exe") -ArgumentList "`"$(Join-Path $Root 'main.py')`"" -WorkingDirectory $Root
}
